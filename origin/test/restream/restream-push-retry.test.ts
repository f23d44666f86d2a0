/** Retries and refusals against real receivers that go away, come back or refuse the key. */
import t from 'tap';
import { RestreamPush } from '../../src/restream/restream-push.js';
import type { RestreamState, RestreamStatus } from '../../src/restream/restream-status.js';
import { freePort } from '../../../test-support/free-port.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';
import { captureLog } from './fixtures/captured-log.js';

/** Fast retries for tests; jitter off so that delays are predictable. */
const fast = { retryDelayS: 0.1, retryMaxDelayS: 0.4, retryJitter: 0, earlyCloseMs: 500, timeoutMs: 2000, ...LOCAL_TARGETS };

function recorder() {
  const statuses: RestreamStatus[] = [];
  const states = () => statuses.map((s) => s.state);
  return { statuses, states, onStatus: (status: RestreamStatus) => statuses.push(status) };
}

/** Collapses repeats: connecting, retrying, connecting, retrying... reads as one cycle each. */
function seen(states: RestreamState[], ...wanted: RestreamState[]): boolean {
  let at = 0;
  for (const state of states) if (state === wanted[at]) at += 1;
  return at === wanted.length;
}

t.test('a receiver that goes away: retrying; when it returns: live again, headers first', async (t) => {
  const first = await startRtmpReceiver();
  const port = first.port;
  const log = recorder();
  const push = new RestreamPush({
    target: { id: 'back', url: `rtmp://127.0.0.1:${port}/live`, streamKey: 'k1', enabled: true },
    settings: fast,
    onStatus: log.onStatus,
  });
  t.teardown(() => push.stop());
  push.start();
  const feed = feedFlv((tag) => push.push(tag), { speed: 1, mediaMs: 60_000 });
  t.teardown(() => feed.stop());
  const publish = await waitFor('media at the first receiver', () => first.publishes[0]?.tags.some((tag) => tag.type === 9 && tag.body[1] === 1) && first.publishes[0]);
  // The push itself says when the connection lasted past earlyCloseMs: its attempts go back to 0.
  await waitFor('the target to count as working', () => push.status().attempts === 0, { timeoutMs: 60_000 });
  await first.close();
  await waitFor('retrying', () => push.status().state === 'retrying');
  t.match(push.status().lastError, { code: 'RESTREAM_UNREACHABLE', message: 'unreachable' });
  // More refused connects than the policy's 3 refusals that would end the push.
  await waitFor('five refused connects', () => push.status().attempts >= 5, { timeoutMs: 60_000 });
  t.not(push.status().state, 'failed', 'refused TCP connects are network errors, not refusals');
  t.notOk(log.states().includes('failed'));

  const second = await startRtmpReceiver({ port });
  t.teardown(() => second.close());
  await waitFor('live again', () => push.status().state === 'live', { timeoutMs: 60_000 });
  const again = await waitFor('media at the new receiver', () => second.publishes[0]?.tags.some((tag) => tag.type === 9 && tag.body[1] === 1) && second.publishes[0]);
  const head = again.tags.slice(0, 4);
  t.same(head.map((tag) => tag.type), [18, 9, 8, 9], 'metadata, AVC and AAC headers, then video');
  t.equal(head[1]?.body[1], 0);
  t.equal(head[2]?.body[1], 0);
  t.equal(head[3]?.body[0], 0x17, 'a keyframe');
  t.equal(head[3]?.timestampMs, 0, 'the new connection starts at 0');
  t.ok(seen(log.states(), 'connecting', 'live', 'retrying', 'connecting', 'live'), log.states().join(' > '));
  t.ok(publish.closed);
  await waitFor('attempts reset once the new connection lasted', () => push.status().attempts === 0, { timeoutMs: 60_000 });
  t.pass('attempts back to 0');
});

t.test('a wrong key refused with an error status: failed after `attempts`, with the reason', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'rightkey' });
  t.teardown(() => receiver.close());
  const log = recorder();
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'wrong', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'wrongkey123', enabled: true, retry: { attempts: 3, delayS: 0.05 } },
    settings: fast,
    onStatus: log.onStatus,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  const status = push.status();
  t.equal(receiver.refused, 3, 'three attempts');
  t.match(status.lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures().at(-1), { code: 'RESTREAM_ERR_REJECTED', reason: /NetStream\.Publish\.BadName: Invalid stream key \*\*\*/ }, 'the server\'s reason is in the log');
  t.notOk(JSON.stringify(log.statuses).includes('wrongkey123'), 'the key appears in no status');
  t.notOk(JSON.stringify(details.lines).includes('wrongkey123'), 'nor in the log');
  t.notOk(log.states().includes('live'));
});

t.test('a wrong key refused the Twitch way (publish accepted, then closed): failed too', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'rightkey', refuseBy: 'close' });
  t.teardown(() => receiver.close());
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'twitchy', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'wrongkey123', enabled: true, retry: { attempts: 2, delayS: 0.05 } },
    settings: fast,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.equal(receiver.refused, 2);
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures().at(-1), { code: 'RESTREAM_ERR_REJECTED', reason: /closed the connection .* after accepting the publish \(wrong stream key\?\)/ });
});

t.test('nothing listening: retried without limit, with backoff', async (t) => {
  const port = await freePort();
  const log = recorder();
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'gone', url: `rtmp://127.0.0.1:${port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 1, delayS: 0.05 } },
    settings: { ...fast, retryMaxDelayS: 0.2 },
    onStatus: log.onStatus,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  // One refusal would end this push (attempts: 1); five network errors do not.
  await waitFor('five attempts', () => push.status().attempts >= 5, { timeoutMs: 60_000 });
  const status = push.status();
  t.equal(status.state === 'retrying' || status.state === 'connecting', true, `still trying (${status.state})`);
  t.notOk(log.states().includes('failed'));
  t.match(status.lastError, { code: 'RESTREAM_UNREACHABLE', message: 'unreachable' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_NETWORK', reason: /cannot connect \(ECONNREFUSED/ }, 'the log says why, the status does not');
  // Each retry is announced with its time; the wait after the failure doubles up to the cap
  // (never less; a slow machine may only make it longer).
  const waits = log.statuses
    .filter((entry) => entry.state === 'retrying')
    .slice(0, 4)
    .map((entry) => Date.parse(entry.nextRetryAt!) - Date.parse(entry.lastError!.at));
  t.equal(waits.length, 4);
  [50, 100, 200, 200].forEach((least, index) => t.ok(waits[index]! >= least, `retry ${index + 1} after ${waits[index]} ms, at least ${least}`));
  await push.stop();
  t.equal(push.status().state, 'idle');
});

t.test('a server that accepts TCP but never answers: a timeout, retried', async (t) => {
  const net = await import('node:net');
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<import('node:net').Socket>();
  silent.on('connection', (socket) => sockets.add(socket));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'mute', url: `rtmp://127.0.0.1:${port}/live`, streamKey: 'k', enabled: true },
    settings: { ...fast, timeoutMs: 300 },
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('retrying', () => push.status().state === 'retrying');
  t.match(push.status().lastError, { code: 'RESTREAM_TIMED_OUT', message: 'timed out' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_TIMEOUT', reason: /no answer to connect within 300 ms/ });
});

t.test('counters (metrics): bytes as the status counts them, each failure and retry once', async (t) => {
  const receiver = await startRtmpReceiver();
  const counted = { bytes: 0, retries: 0, failures: new Map<string, number>(), skips: 0 };
  const log = recorder();
  const push = new RestreamPush({
    target: { id: 'counted', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'k1', enabled: true },
    settings: fast,
    onStatus: log.onStatus,
    counters: {
      bytesSent: (bytes) => (counted.bytes += bytes),
      retryScheduled: () => (counted.retries += 1),
      failed: (code) => counted.failures.set(code, (counted.failures.get(code) ?? 0) + 1),
      keyframesSkipped: (count) => (counted.skips += count),
    },
  });
  t.teardown(() => push.stop());
  push.start();
  const feed = feedFlv((tag) => push.push(tag), { speed: 1, mediaMs: 60_000 });
  t.teardown(() => feed.stop());
  await waitFor('bytes counted while live', () => counted.bytes > 0, { timeoutMs: 60_000 });
  await waitFor('the target to count as working', () => push.status().attempts === 0, { timeoutMs: 60_000 });
  await receiver.close();
  await waitFor('three refused connects', () => push.status().attempts >= 3, { timeoutMs: 60_000 });
  await push.stop();
  feed.stop();
  t.equal(counted.bytes, push.status().bytesSent, 'every byte of every connection, once');
  const retryingStates = log.states().filter((state) => state === 'retrying').length;
  t.equal(counted.retries, retryingStates, 'one retry per entry into retrying');
  t.equal([...counted.failures.values()].reduce((a, b) => a + b, 0), counted.retries, 'each failure led to a retry');
  t.ok([...counted.failures.keys()].every((code) => code.startsWith('RESTREAM_ERR_')), [...counted.failures.keys()].join());
  t.equal(counted.skips, 0);
});
