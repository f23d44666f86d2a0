import t from 'tap';
import { readRtmpIngestLimits } from '../../src/ingest/rtmp-ingest-settings.js';

const MiB = 1024 * 1024;

t.test('defaults', async (t) => {
  t.same(readRtmpIngestLimits({}), {
    handshakeTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    maxConnections: 1000,
    maxConnectionsPerAddress: 10,
    maxChunkStreams: 32,
    maxMessageBytes: 8 * MiB,
    maxChunkStateBytes: 16 * MiB,
    maxTotalChunkStateBytes: 512 * MiB,
  });
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => readRtmpIngestLimits({ RTMP_IDLE_TIMEOUT_MS: '0' }), /RTMP_IDLE_TIMEOUT_MS="0"/);
  t.throws(() => readRtmpIngestLimits({ RTMP_MAX_CONNECTIONS: 'many' }), /RTMP_MAX_CONNECTIONS="many"/);
  t.throws(() => readRtmpIngestLimits({ RTMP_MAX_MESSAGE_BYTES: String(32 * MiB) }), /RTMP_MAX_MESSAGE_BYTES=/, 'RTMP itself caps a message at 16 MB');
});

t.test('the chunk-state bounds must leave room for the largest message', async (t) => {
  t.throws(
    () => readRtmpIngestLimits({ RTMP_MAX_MESSAGE_BYTES: String(4 * MiB), RTMP_MAX_CHUNK_STATE_BYTES: String(6 * MiB) }),
    /RTMP_MAX_CHUNK_STATE_BYTES="6291456" is invalid: expected at least twice RTMP_MAX_MESSAGE_BYTES/,
  );
  t.throws(
    () => readRtmpIngestLimits({ RTMP_MAX_TOTAL_CHUNK_STATE_BYTES: String(8 * MiB) }),
    /RTMP_MAX_TOTAL_CHUNK_STATE_BYTES="8388608" is invalid: expected at least RTMP_MAX_CHUNK_STATE_BYTES/,
  );
  t.match(readRtmpIngestLimits({ RTMP_MAX_MESSAGE_BYTES: String(MiB), RTMP_MAX_CHUNK_STATE_BYTES: String(2 * MiB) }), {
    maxMessageBytes: MiB,
    maxChunkStateBytes: 2 * MiB,
  });
});
