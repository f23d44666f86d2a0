import { resolve } from 'node:path';
import { readInteger, readString, type Env } from '../../../service-kit/src/env-settings.js';

/** Fallback video settings, read once at start-up. How long it plays is RESTREAM_RECONNECT_WINDOW_SECONDS. */
export interface FallbackSettings {
  /** FALLBACK_CACHE_PATH: where downloaded fallback videos are kept, made absolute. Default .run/fallback-cache. */
  cachePath: string;
  /**
   * FALLBACK_CACHE_MAX_FILE_BYTES: a larger fallback is not downloaded (a playing fallback is held
   * in memory). Default 256 MiB, above what the API's 10-minute conversion produces.
   */
  maxFileBytes: number;
  /** FALLBACK_DOWNLOAD_TIMEOUT_MS: deadline of one download from the API. Default 60000. */
  downloadTimeoutMs: number;
}

export function readFallbackSettings(env: Env): FallbackSettings {
  return {
    cachePath: resolve(readString(env, 'FALLBACK_CACHE_PATH', '.run/fallback-cache')),
    maxFileBytes: readInteger(env, 'FALLBACK_CACHE_MAX_FILE_BYTES', 256 * 1024 * 1024, { min: 1024 }),
    downloadTimeoutMs: readInteger(env, 'FALLBACK_DOWNLOAD_TIMEOUT_MS', 60_000, { min: 100 }),
  };
}
