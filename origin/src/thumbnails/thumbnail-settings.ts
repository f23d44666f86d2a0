import { readInteger, type Env } from '../../../service-kit/src/env-settings.js';

/** How much thumbnail work one origin takes on, read once at start-up. */
export interface ThumbnailSettings {
  /** THUMBNAIL_CONCURRENCY: ffmpeg thumbnail processes at once. Default 2 (each takes about a core for a fraction of a second). */
  concurrency: number;
  /** THUMBNAIL_QUEUE_LIMIT: thumbnails that may wait for one of those; past it, 503 with Retry-After. Default 8. */
  queueLimit: number;
  /** THUMBNAIL_TIMEOUT_MS: an ffmpeg making one thumbnail is killed after this. Default 10000. */
  timeoutMs: number;
  /**
   * THUMBNAILS_KEPT_PER_VIDEO: pictures kept in a recording's folder; past it they are made and
   * answered but not kept, so that viewers asking for every time and height cannot fill the disk. Default 100.
   */
  keptPerVideo: number;
  /** LIVE_THUMBNAIL_MAX_AGE_SECONDS: how long a live input's thumbnail is reused, here and at the edge. Default 2. */
  liveMaxAgeS: number;
}

export function readThumbnailSettings(env: Env): ThumbnailSettings {
  return {
    concurrency: readInteger(env, 'THUMBNAIL_CONCURRENCY', 2, { min: 1, max: 64 }),
    queueLimit: readInteger(env, 'THUMBNAIL_QUEUE_LIMIT', 8, { min: 0, max: 1_000 }),
    timeoutMs: readInteger(env, 'THUMBNAIL_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    keptPerVideo: readInteger(env, 'THUMBNAILS_KEPT_PER_VIDEO', 100, { min: 0, max: 100_000 }),
    liveMaxAgeS: readInteger(env, 'LIVE_THUMBNAIL_MAX_AGE_SECONDS', 2, { min: 1, max: 60 }),
  };
}
