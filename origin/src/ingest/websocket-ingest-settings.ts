import { readInteger, type Env } from '../../../service-kit/src/env-settings.js';

/** The path on the origin's HTTP port where browsers publish: `/ingest/ws?stream_key=…`. */
export const WEBSOCKET_INGEST_PATH = '/ingest/ws';

/** Bounds of the WebSocket ingest (browser go-live): what one publisher may hold of the origin. */
export interface WebSocketIngestLimits {
  /** WS_INGEST_MAX_MESSAGE_BYTES: largest WebSocket message (one MediaRecorder chunk); more closes with 1009. */
  maxMessageBytes: number;
  /** WS_INGEST_MAX_BYTES_PER_SECOND: a publisher sending faster than this (over a 5 s window) is dropped. */
  maxBytesPerSecond: number;
  /** WS_INGEST_IDLE_TIMEOUT_MS: a publisher that sends nothing this long is dropped (its lease is released). */
  idleTimeoutMs: number;
  /** WS_INGEST_MAX_PENDING_BYTES: bytes ffmpeg has not taken yet; past it the publisher is dropped, not buffered. */
  maxPendingBytes: number;
  /**
   * WS_INGEST_MAX_CONNECTIONS: WebSocket publishers held at once (those being authorized count);
   * more get 503 at the upgrade. Each runs its own ffmpeg, which may be encoding VP8/VP9 to H.264,
   * so this origin's CPU, not its sockets, is what runs out first.
   */
  maxConnections: number;
}

const MiB = 1024 * 1024;

export function readWebSocketIngestLimits(env: Env): WebSocketIngestLimits {
  return {
    maxMessageBytes: readInteger(env, 'WS_INGEST_MAX_MESSAGE_BYTES', 2 * MiB, { min: 16 * 1024 }),
    maxBytesPerSecond: readInteger(env, 'WS_INGEST_MAX_BYTES_PER_SECOND', 4 * MiB, { min: 64 * 1024 }),
    idleTimeoutMs: readInteger(env, 'WS_INGEST_IDLE_TIMEOUT_MS', 10_000, { min: 100 }),
    maxPendingBytes: readInteger(env, 'WS_INGEST_MAX_PENDING_BYTES', 8 * MiB, { min: 64 * 1024 }),
    maxConnections: readInteger(env, 'WS_INGEST_MAX_CONNECTIONS', 20, { min: 1 }),
  };
}
