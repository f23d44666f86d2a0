import { readBoolean, readInteger, readNumber, type Env } from '../../../service-kit/src/env-settings.js';

/** Restreaming settings, read once at start-up; a target's own `retry` overrides the retry ones. */
export interface RestreamSettings {
  /** RESTREAM_MAX_BACKLOG_BYTES: media a push may hold for a slow target before it skips to the next keyframe. Default 4 MiB. */
  maxBacklogBytes: number;
  /** RESTREAM_MAX_BACKLOG_MS: the same bound in media time. Default 5000. */
  maxBacklogMs: number;
  /** RESTREAM_SEND_BUFFER_BYTES: bytes handed to the socket ahead of the network; the rest stays droppable in the queue. Default 256 KiB. */
  sendBufferBytes: number;
  /**
   * RESTREAM_TIMEOUT_MS: limit for connecting (TCP, TLS, RTMP connect) and for publishing, each;
   * once publishing, for the target to finish a message it started. Default 10000.
   */
  timeoutMs: number;
  /** RESTREAM_RETRY_ATTEMPTS: refusals in a row (wrong key, bad certificate) before a target is `failed`; 0 never gives up. Default 3. */
  retryAttempts: number;
  /** RESTREAM_RETRY_DELAY_S: first retry delay, doubled after each failure. Default 2. */
  retryDelayS: number;
  /** RESTREAM_RETRY_MAX_DELAY_S: cap of the retry delay. Default 60. */
  retryMaxDelayS: number;
  /** RESTREAM_RETRY_JITTER: random spread of each delay, as a fraction. Default 0.2. */
  retryJitter: number;
  /**
   * RESTREAM_EARLY_CLOSE_MS: a server that closes the connection this soon after accepting the
   * publish is refusing it (Twitch and YouTube treat a wrong key this way); a connection that
   * lasts longer proves the target works and resets the retry counters. Default 5000.
   */
  earlyCloseMs: number;
  /** RESTREAM_STALL_TIMEOUT_MS: a target that takes no bytes for this long is reconnected. Default 30000. */
  stallTimeoutMs: number;
  /**
   * ALLOW_PRIVATE_TARGETS: targets may resolve to private, loopback, link-local... addresses
   * when the origin connects (the API's setting of the same name applies when they are saved).
   * Default false.
   */
  allowPrivateTargets: boolean;
}

export const DEFAULT_RESTREAM_SETTINGS: Readonly<RestreamSettings> = {
  maxBacklogBytes: 4 * 1024 * 1024,
  maxBacklogMs: 5000,
  sendBufferBytes: 256 * 1024,
  timeoutMs: 10_000,
  retryAttempts: 3,
  retryDelayS: 2,
  retryMaxDelayS: 60,
  retryJitter: 0.2,
  earlyCloseMs: 5000,
  stallTimeoutMs: 30_000,
  allowPrivateTargets: false,
};

export function readRestreamSettings(env: Env): RestreamSettings {
  const d = DEFAULT_RESTREAM_SETTINGS;
  const maxBacklogBytes = readInteger(env, 'RESTREAM_MAX_BACKLOG_BYTES', d.maxBacklogBytes, { min: 64 * 1024 });
  return {
    maxBacklogBytes,
    maxBacklogMs: readInteger(env, 'RESTREAM_MAX_BACKLOG_MS', d.maxBacklogMs, { min: 100 }),
    // At most half the backlog, so that most of it stays droppable.
    sendBufferBytes: readInteger(env, 'RESTREAM_SEND_BUFFER_BYTES', Math.min(d.sendBufferBytes, Math.floor(maxBacklogBytes / 2)), {
      min: 16 * 1024,
      max: Math.floor(maxBacklogBytes / 2),
    }),
    timeoutMs: readInteger(env, 'RESTREAM_TIMEOUT_MS', d.timeoutMs, { min: 100 }),
    retryAttempts: readInteger(env, 'RESTREAM_RETRY_ATTEMPTS', d.retryAttempts, { min: 0 }),
    retryDelayS: readNumber(env, 'RESTREAM_RETRY_DELAY_S', d.retryDelayS, { min: 0 }),
    retryMaxDelayS: readNumber(env, 'RESTREAM_RETRY_MAX_DELAY_S', d.retryMaxDelayS, { min: 0 }),
    retryJitter: Math.min(readNumber(env, 'RESTREAM_RETRY_JITTER', d.retryJitter, { min: 0 }), 1),
    earlyCloseMs: readInteger(env, 'RESTREAM_EARLY_CLOSE_MS', d.earlyCloseMs, { min: 0 }),
    stallTimeoutMs: readInteger(env, 'RESTREAM_STALL_TIMEOUT_MS', d.stallTimeoutMs, { min: 1000 }),
    allowPrivateTargets: readBoolean(env, 'ALLOW_PRIVATE_TARGETS', d.allowPrivateTargets),
  };
}
