import t from 'tap';
import { readSrtIngestSettings } from '../../src/ingest/srt-ingest-settings.js';

t.test('defaults', async (t) => {
  t.same(readSrtIngestSettings({}), {
    host: '0.0.0.0',
    port: 1337,
    latencyMs: 120,
    maxConnections: 100,
    idleTimeoutMs: 10_000,
    receiveBufferPackets: 8192,
    udpReceiveBufferBytes: 4 * 1024 * 1024,
  });
  t.match(readSrtIngestSettings({ SRT_PORT: '9000', SRT_LATENCY_MS: '500', SRT_IDLE_TIMEOUT_SECONDS: '3' }), { port: 9000, latencyMs: 500, idleTimeoutMs: 3000 });
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => readSrtIngestSettings({ SRT_PORT: '70000' }), /SRT_PORT="70000"/);
  t.throws(() => readSrtIngestSettings({ SRT_LATENCY_MS: '65536' }), /SRT_LATENCY_MS="65536"/, 'the handshake carries 16 bits of ms');
  t.throws(() => readSrtIngestSettings({ SRT_MAX_CONNECTIONS: '0' }), /SRT_MAX_CONNECTIONS="0"/);
  t.throws(() => readSrtIngestSettings({ SRT_IDLE_TIMEOUT_SECONDS: 'soon' }), /SRT_IDLE_TIMEOUT_SECONDS="soon"/);
  t.throws(() => readSrtIngestSettings({ SRT_PASSPHRASE: 'short' }), /SRT_PASSPHRASE="\[redacted\]" is invalid: expected 10 to 79 characters/, 'never quoted');
  t.equal(readSrtIngestSettings({ SRT_PASSPHRASE: 'ten chars!' }).passphrase, 'ten chars!');
});
