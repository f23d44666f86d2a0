/**
 * The origin checks where a target's host resolves when it connects, with the API's policy
 * (network-policy/): whatever the API saw when the target was saved, DNS may say something else
 * now (DNS rebinding), and a target saved under ALLOW_PRIVATE_TARGETS=1 is not allowed forever.
 * It resolves once and connects to the very addresses it checked.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { AddressPolicy } from '../../../network-policy/src/address-policy.js';
import { freePort } from '../../../test-support/free-port.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { RestreamPush } from '../../src/restream/restream-push.js';
import { captureLog } from './fixtures/captured-log.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';

const fast = { retryDelayS: 0.05, retryJitter: 0, timeoutMs: 5000 };

/** A TCP server that counts the connections it gets. */
async function connectionCounter(t: Test): Promise<{ port: number; connections: () => number }> {
  const port = await freePort();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, connections: () => connections };
}

t.test('localhost, with the system resolver: refused when connecting; nothing connects', async (t) => {
  const listener = await connectionCounter(t);
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'local', url: `rtmp://localhost:${listener.port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 2, delayS: 0.05 } },
    settings: fast,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures(), [
    { code: 'RESTREAM_ERR_ADDRESS_REFUSED', reason: /^rtmp:\/\/localhost:\d+\/live: host "localhost" resolves to (127\.0\.0\.1|::1), a loopback address, which this origin does not push to \(ALLOW_PRIVATE_TARGETS\)$/ },
    { code: 'RESTREAM_ERR_ADDRESS_REFUSED' },
  ]);
  t.equal(listener.connections(), 0, 'a failed push is over: it never connected');
});

t.test('IP addresses in every special-purpose form are refused too', async (t) => {
  for (const host of ['127.0.0.1', '[::ffff:0:127.0.0.1]', '[::ffff:127.0.0.1]', '2130706433', '169.254.169.254', '198.18.0.1', '192.0.0.1']) {
    const details = captureLog();
    const push = new RestreamPush({
      target: { id: 'ip', url: `rtmp://${host}:1935/live`, streamKey: 'k', enabled: true, retry: { attempts: 1 } },
      settings: fast,
      logger: details.logger,
    });
    push.start();
    await waitFor(`failed (${host})`, () => push.status().state === 'failed');
    t.match(details.failures(), [{ code: 'RESTREAM_ERR_ADDRESS_REFUSED' }], host);
    await push.stop();
  }
});

t.test('a host whose DNS now answers 127.0.0.1 (rebinding) is refused, whatever it said when saved', async (t) => {
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const asked: string[] = [];
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'rebind', url: `rtmp://rebind.example:${receiver.port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 1 } },
    settings: fast,
    // The resolver is the collaborator replaced here: it answers as a rebinding DNS server would.
    addressPolicy: new AddressPolicy({ allowPrivate: false, lookup: async (host) => (asked.push(host), ['127.0.0.1']) }),
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.match(details.failures(), [{ code: 'RESTREAM_ERR_ADDRESS_REFUSED', reason: /host "rebind\.example" resolves to 127\.0\.0\.1, a loopback address/ }]);
  t.same(asked, ['rebind.example']);
  t.equal(receiver.publishes.length, 0);
});

t.test('allowed: the push connects to the addresses it checked, without asking the resolver again', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'k' });
  t.teardown(() => receiver.close());
  const asked: string[] = [];
  const push = new RestreamPush({
    // No resolver but this one knows target.test: the connection can only use its answer.
    target: { id: 'pinned', url: `rtmp://target.test:${receiver.port}/live`, streamKey: 'k', enabled: true },
    settings: { ...fast, ...LOCAL_TARGETS },
    addressPolicy: new AddressPolicy({ allowPrivate: true, lookup: async (host) => (asked.push(host), ['127.0.0.1']) }),
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  await waitFor('the publish at the receiver', () => receiver.publishes[0]);
  t.match(receiver.publishes[0], { app: 'live', name: 'k' });
  t.same(asked, ['target.test'], 'one lookup for one connection');
});

t.test('ALLOW_PRIVATE_TARGETS on the origin: localhost through the system resolver goes live', async (t) => {
  const receiver = await startRtmpReceiver({ expectedKey: 'k' });
  t.teardown(() => receiver.close());
  const push = new RestreamPush({
    target: { id: 'lab', url: `rtmp://localhost:${receiver.port}/live`, streamKey: 'k', enabled: true },
    settings: { ...fast, ...LOCAL_TARGETS },
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  await waitFor('the publish at the receiver', () => receiver.publishes[0]);
  t.pass('published');
});

t.test('a host that does not resolve: unreachable, retried', async (t) => {
  const details = captureLog();
  const push = new RestreamPush({
    target: { id: 'nx', url: 'rtmp://no-such-host.invalid/live', streamKey: 'k', enabled: true, retry: { attempts: 1 } },
    settings: fast,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('two attempts', () => details.failures().length >= 2);
  t.match(push.status().lastError, { code: 'RESTREAM_UNREACHABLE', message: 'unreachable' });
  t.match(details.failures()[0], { code: 'RESTREAM_ERR_NETWORK', reason: /host "no-such-host\.invalid" does not resolve \(E[A-Z_]+\)/ });
  t.not(push.status().state, 'failed', 'lookup failures are network trouble, retried without limit');
});
