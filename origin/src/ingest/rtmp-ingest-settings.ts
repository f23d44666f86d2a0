import { readInteger, SettingError, type Env } from '../../../service-kit/src/env-settings.js';
import { ChunkStateBudget } from './chunk-state-budget.js';
import type { RtmpChunkBounds } from './nms-rtmp-connection.js';

/** Bounds of the RTMP listener: what one client, and all of them, may hold of the origin. */
export interface RtmpIngestLimits {
  /** RTMP_HANDSHAKE_TIMEOUT_MS: from accept to the `publish` command (handshake, connect, createStream). */
  handshakeTimeoutMs: number;
  /** RTMP_IDLE_TIMEOUT_MS: a connection that sends nothing this long is closed (a publisher's lease is released). */
  idleTimeoutMs: number;
  /** RTMP_MAX_CONNECTIONS: connections held at once; more are closed at accept. */
  maxConnections: number;
  /** RTMP_MAX_CONNECTIONS_PER_ADDRESS: the same per client address (an IPv6 /64 counts as one). */
  maxConnectionsPerAddress: number;
  /** RTMP_MAX_CHUNK_STREAMS: chunk stream ids one connection may use. */
  maxChunkStreams: number;
  /** RTMP_MAX_MESSAGE_BYTES: largest message (a video frame) a publisher may send. */
  maxMessageBytes: number;
  /** RTMP_MAX_CHUNK_STATE_BYTES: partly received messages and their buffers, per connection. */
  maxChunkStateBytes: number;
  /** RTMP_MAX_TOTAL_CHUNK_STATE_BYTES: the same for all connections together. */
  maxTotalChunkStateBytes: number;
}

const MiB = 1024 * 1024;

export function readRtmpIngestLimits(env: Env): RtmpIngestLimits {
  const maxMessageBytes = readInteger(env, 'RTMP_MAX_MESSAGE_BYTES', 8 * MiB, { min: 64 * 1024, max: 0xffffff });
  const maxChunkStateBytes = readInteger(env, 'RTMP_MAX_CHUNK_STATE_BYTES', 16 * MiB, { min: 64 * 1024 });
  // A publisher must be able to hold its largest frame and then some (audio, commands).
  if (maxChunkStateBytes < 2 * maxMessageBytes) {
    throw new SettingError('RTMP_MAX_CHUNK_STATE_BYTES', String(maxChunkStateBytes), `at least twice RTMP_MAX_MESSAGE_BYTES (${2 * maxMessageBytes})`);
  }
  const maxTotalChunkStateBytes = readInteger(env, 'RTMP_MAX_TOTAL_CHUNK_STATE_BYTES', 512 * MiB, { min: 64 * 1024 });
  if (maxTotalChunkStateBytes < maxChunkStateBytes) {
    throw new SettingError('RTMP_MAX_TOTAL_CHUNK_STATE_BYTES', String(maxTotalChunkStateBytes), `at least RTMP_MAX_CHUNK_STATE_BYTES (${maxChunkStateBytes})`);
  }
  return {
    handshakeTimeoutMs: readInteger(env, 'RTMP_HANDSHAKE_TIMEOUT_MS', 10_000, { min: 100 }),
    idleTimeoutMs: readInteger(env, 'RTMP_IDLE_TIMEOUT_MS', 10_000, { min: 100 }),
    maxConnections: readInteger(env, 'RTMP_MAX_CONNECTIONS', 1000, { min: 1 }),
    maxConnectionsPerAddress: readInteger(env, 'RTMP_MAX_CONNECTIONS_PER_ADDRESS', 10, { min: 1 }),
    maxChunkStreams: readInteger(env, 'RTMP_MAX_CHUNK_STREAMS', 32, { min: 4, max: 65599 }),
    maxMessageBytes,
    maxChunkStateBytes,
    maxTotalChunkStateBytes,
  };
}

/** The chunk bounds of one listener: its connections share one total budget. */
export function chunkBoundsOf(limits: RtmpIngestLimits): RtmpChunkBounds {
  return {
    maxChunkStreams: limits.maxChunkStreams,
    maxMessageBytes: limits.maxMessageBytes,
    maxChunkStateBytes: limits.maxChunkStateBytes,
    total: new ChunkStateBudget(limits.maxTotalChunkStateBytes),
  };
}
