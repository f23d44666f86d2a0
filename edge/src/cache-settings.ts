import { readInteger, type Env } from '../../service-kit/src/env-settings.js';

/** The edge's media cache and the cache headers it gives a CDN in front. */
export interface EdgeCacheSettings {
  /** EDGE_CACHE_MAX_BYTES: bytes of playlists and segments held in memory; least recently used go first. */
  maxBytes: number;
  /**
   * EDGE_CACHE_MAX_OBJECT_BYTES: a larger object is streamed through to its viewers without being
   * cached (nor coalesced with later viewers), so one huge answer cannot hold the memory.
   */
  maxObjectBytes: number;
  /** EDGE_NOT_FOUND_CACHE_MS: how long an origin's 404 is reused. */
  notFoundCacheMs: number;
  /** EDGE_NOT_FOUND_CACHE_ENTRIES: most 404s remembered at once, so random names cannot grow memory. */
  notFoundCacheEntries: number;
  /** EDGE_SEGMENT_MAX_AGE_S: `Cache-Control: max-age` of segments (they never change). */
  segmentMaxAgeS: number;
  /** EDGE_ENDED_PLAYLIST_MAX_AGE_S: `max-age` of an ended stream's final playlist, never past its grace end. */
  endedPlaylistMaxAgeS: number;
}

const MIB = 1024 * 1024;
const DAY_S = 86_400;

/** Reads and validates the cache settings; throws SettingError naming the variable. */
export function readEdgeCacheSettings(env: Env): EdgeCacheSettings {
  return {
    maxBytes: readInteger(env, 'EDGE_CACHE_MAX_BYTES', 512 * MIB, { min: 1, max: 2 ** 48 }),
    maxObjectBytes: readInteger(env, 'EDGE_CACHE_MAX_OBJECT_BYTES', 64 * MIB, { min: 1, max: 2 ** 40 }),
    notFoundCacheMs: readInteger(env, 'EDGE_NOT_FOUND_CACHE_MS', 1_000, { min: 0, max: 60_000 }),
    notFoundCacheEntries: readInteger(env, 'EDGE_NOT_FOUND_CACHE_ENTRIES', 10_000, { min: 1, max: 10_000_000 }),
    segmentMaxAgeS: readInteger(env, 'EDGE_SEGMENT_MAX_AGE_S', DAY_S, { min: 0, max: 365 * DAY_S }),
    endedPlaylistMaxAgeS: readInteger(env, 'EDGE_ENDED_PLAYLIST_MAX_AGE_S', 10, { min: 1, max: DAY_S }),
  };
}
