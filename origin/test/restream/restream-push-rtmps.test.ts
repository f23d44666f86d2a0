/** RTMPS: a push over TLS to a receiver with a certificate made for the test. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { RestreamPush } from '../../src/restream/restream-push.js';
import { startRtmpReceiver } from '../../../test-support/rtmp-receiver.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { decodeReceived } from './fixtures/decode-check.js';
import { feedFlv } from './fixtures/flv-feed.js';
import { LOCAL_TARGETS } from './fixtures/local-targets.js';
import { captureLog } from './fixtures/captured-log.js';

const execFileAsync = promisify(execFile);

async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'restream-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert]);
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

t.test('rtmps:// with the test CA trusted: media arrives over TLS and decodes', async (t) => {
  const tls = await selfSignedCertificate();
  const receiver = await startRtmpReceiver({ tls, expectedKey: 'tlskey' });
  t.teardown(() => receiver.close());
  const push = new RestreamPush({
    target: { id: 'tls', url: `rtmps://localhost:${receiver.port}/live`, streamKey: 'tlskey', enabled: true },
    settings: LOCAL_TARGETS,
    tls: { ca: tls.cert },
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('live', () => push.status().state === 'live');
  const feed = feedFlv((tag) => push.push(tag), { speed: 4, mediaMs: 6_000 });
  await feed.done;
  const publish = await waitFor('media', () => receiver.publishes[0]?.tags.some((tag) => tag.type === 9 && tag.timestampMs >= 4_000) && receiver.publishes[0]);
  await push.stop();
  t.equal(publish.name, 'tlskey');
  const { probe, decodeErrors } = await decodeReceived(publish.tags);
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  t.equal(decodeErrors, '');
  t.ok(push.status().bytesSent > 100_000);
});

t.test('rtmps:// verifies certificates by default: an untrusted one ends in failed', async (t) => {
  const details = captureLog();
  const tls = await selfSignedCertificate();
  const receiver = await startRtmpReceiver({ tls });
  t.teardown(() => receiver.close());
  const push = new RestreamPush({
    target: { id: 'untrusted', url: `rtmps://localhost:${receiver.port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 2, delayS: 0.05 } },
    settings: LOCAL_TARGETS,
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures().at(-1), { code: 'RESTREAM_ERR_TLS', reason: /TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT/ });
  t.equal(receiver.publishes.length, 0);
});

t.test('rtmps:// checks the host name against the certificate', async (t) => {
  const details = captureLog();
  const tls = await selfSignedCertificate();
  const receiver = await startRtmpReceiver({ tls });
  t.teardown(() => receiver.close());
  const push = new RestreamPush({
    // The certificate names localhost, not 127.0.0.1.
    target: { id: 'ip', url: `rtmps://127.0.0.1:${receiver.port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 1 } },
    settings: LOCAL_TARGETS,
    tls: { ca: tls.cert },
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('failed', () => push.status().state === 'failed');
  t.match(push.status().lastError, { code: 'RESTREAM_REFUSED', message: 'refused' });
  t.match(details.failures().at(-1), { code: 'RESTREAM_ERR_TLS', reason: /ERR_TLS_CERT_ALTNAME_INVALID/ });
});

t.test('rtmps:// to a plain RTMP port is a TLS failure or a timeout, never a hang', async (t) => {
  const details = captureLog();
  const receiver = await startRtmpReceiver();
  t.teardown(() => receiver.close());
  const push = new RestreamPush({
    target: { id: 'plain', url: `rtmps://localhost:${receiver.port}/live`, streamKey: 'k', enabled: true, retry: { attempts: 1 } },
    settings: { timeoutMs: 1000, ...LOCAL_TARGETS },
    logger: details.logger,
  });
  t.teardown(() => push.stop());
  push.start();
  await waitFor('an error', () => push.status().lastError ?? undefined, { timeoutMs: 60_000 });
  t.match(push.status().lastError?.message, /^(refused|timed out)$/);
  t.match(details.failures()[0]?.code, /RESTREAM_ERR_(TLS|TIMEOUT)/);
});
