import { readInteger, readNumber, type Env } from '../../../service-kit/src/env-settings.js';

/** Pull sources (issue 15): how this origin claims and runs them. */
export interface PullSettings {
  /** PULL_POLL_SECONDS: how often the origin claims its pulls and reports them. Default 2. */
  pollMs: number;
  /** PULL_MAX_PER_ORIGIN: the most pulls (one ffmpeg each) this origin runs; 0 runs none. Default 10. */
  maxPerOrigin: number;
  /** PULL_IDLE_TIMEOUT_MS: a source whose ffmpeg gives no media this long (connecting included) is restarted. Default 15000. */
  idleTimeoutMs: number;
  /** PULL_MAX_BYTES_PER_SECOND: a source sending more than this (over 5 s) is stopped and retried. Default 4 MiB. */
  maxBytesPerSecond: number;
}

export function readPullSettings(env: Env): PullSettings {
  return {
    pollMs: readNumber(env, 'PULL_POLL_SECONDS', 2, { min: 0.1 }) * 1000,
    maxPerOrigin: readInteger(env, 'PULL_MAX_PER_ORIGIN', 10, { min: 0, max: 1000 }),
    idleTimeoutMs: readInteger(env, 'PULL_IDLE_TIMEOUT_MS', 15_000, { min: 1000 }),
    maxBytesPerSecond: readInteger(env, 'PULL_MAX_BYTES_PER_SECOND', 4 * 1024 * 1024, { min: 64 * 1024 }),
  };
}
