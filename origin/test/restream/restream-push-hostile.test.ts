/**
 * A restream target is anyone's RTMP server: a hostile one, played here by a real TCP server on
 * 127.0.0.1, must not make a push hold memory without bound or hang on to it, and garbage from
 * it ends the connection. Each ends the push's connection with a clear error, then the retry
 * policy applies.
 */
import t, { type Test } from 'tap';
import { RestreamPush } from '../../src/restream/restream-push.js';
import { MAX_HELD_BYTES } from '../../src/restream/rtmp-chunk-reader.js';
import { MSG_COMMAND_AMF0, MSG_SET_CHUNK_SIZE, uint32Payload } from '../../src/restream/rtmp-messages.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { startHostileTarget } from './fixtures/hostile-target.js';
import { captureLog, type CapturedLog } from './fixtures/captured-log.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';

const fast = { retryDelayS: 0.1, retryMaxDelayS: 0.4, retryJitter: 0, earlyCloseMs: 500, timeoutMs: 2000, ...LOCAL_TARGETS };
const MiB = 1024 * 1024;

function pushTo(t: Test, url: string): { push: RestreamPush; details: CapturedLog } {
  const details = captureLog();
  const push = new RestreamPush({ target: { id: 'hostile', url, streamKey: 'secret-key-1', enabled: true }, settings: fast, logger: details.logger });
  t.teardown(() => push.stop());
  push.start();
  return { push, details };
}

t.test('1 MiB messages left half-sent on one chunk stream after another: cut after holding at most the bound', async (t) => {
  const ATTACK_BYTES = 64 * MiB;
  const target = await startHostileTarget(async ({ writer, send }) => {
    const chunkSize = MiB / 2;
    await send(writer.encode({ csid: 2, type: MSG_SET_CHUNK_SIZE, streamId: 0, timestamp: 0, payload: uint32Payload(chunkSize) }));
    writer.chunkSize = chunkSize;
    const payload = new Uint8Array(MiB);
    // The first chunk of each message (type 0 header: a chunk stream the server has not used yet),
    // on a chunk stream of its own: 128 of them are 64 MiB.
    for (let csid = 10, sent = 0; sent < ATTACK_BYTES; csid++) {
      const firstChunk = writer.encode({ csid, type: MSG_COMMAND_AMF0, streamId: 0, timestamp: 0, payload }).subarray(0, 12 + chunkSize);
      if (!(await send(firstChunk))) return;
      sent += firstChunk.length;
    }
  });
  t.teardown(() => target.close());
  const { push, details } = pushTo(t, target.url);

  await waitFor('the push to drop the connection', () => push.status().lastError ?? undefined);
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_PROTOCOL', reason: `the server left more than ${MAX_HELD_BYTES} bytes of chunks and messages unfinished` });
  await waitFor('the target to see the connection closed', () => target.connections[0]?.closed);
  const taken = target.connections[0]!.bytesTaken;
  t.ok(taken < ATTACK_BYTES / 4, `the push read ${(taken / MiB).toFixed(1)} MiB of the ${ATTACK_BYTES / MiB} MiB attack (the rest of it never left the target)`);
  await waitFor('a retry', () => target.connections.length >= 2);
  t.pass('retried as the policy says');
});

t.test('a message started after the publish and never finished: a timeout, then a retry', async (t) => {
  const target = await startHostileTarget(async ({ writer, send }) => {
    const message = writer.encode({ csid: 3, type: MSG_COMMAND_AMF0, streamId: 0, timestamp: 0, payload: new Uint8Array(100) });
    await send(message.subarray(0, 30));
  });
  t.teardown(() => target.close());
  const { push, details } = pushTo(t, target.url);

  await waitFor('live', () => push.status().state === 'live');
  await waitFor('the push to drop the connection', () => push.status().lastError ?? undefined);
  t.match(push.status().lastError, { code: 'RESTREAM_TIMED_OUT', message: 'timed out' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_TIMEOUT', reason: /the server left a message unfinished for 2000 ms/ });
  t.ok(target.connections[0]!.closed, 'the push closed the connection');
  await waitFor('a retry', () => target.connections.length >= 2);
  t.not(push.status().state, 'failed', 'timeouts are retried without limit');
});

t.test('garbage after the publish: the connection ends; refusals in a row end the push `failed`', async (t) => {
  const target = await startHostileTarget(async ({ send }) => {
    await send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  });
  t.teardown(() => target.close());
  const { push, details } = pushTo(t, target.url);

  await waitFor('failed', () => push.status().state === 'failed');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures().at(-1), { code: 'RESTREAM_ERR_PROTOCOL', reason: /chunk stream \d+ starts without a type 0 header/ });
  t.equal(target.connections.length, 3, 'three connections, as RESTREAM_RETRY_ATTEMPTS says');
  await waitFor('every connection closed by the push', () => target.connections.every((connection) => connection.closed));
  t.pass('all closed');
});
