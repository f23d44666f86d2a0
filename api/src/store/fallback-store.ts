import type { Redis } from 'ioredis';
import { RedisScript, call, hashOrNull } from './redis-calls.js';
import { restreamVersionKey, streamFallbackKey, streamKey } from './redis-keys.js';

/** A stream's converted fallback video, as probed after the conversion. */
export interface FallbackMedia {
  sizeBytes: number;
  durationS: number;
  width: number;
  height: number;
}

export interface FallbackInfo extends FallbackMedia {
  updatedAt: string;
  /** The stream's restream version when this video was stored: origins cache the file by it. */
  version: number;
}

/**
 * Records the fallback of the user's stream and bumps the restream version. Returns
 * {version, replaced (1 or 0)}, or -1 when the stream is not the user's.
 */
const PUT_FALLBACK = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:fallback  KEYS[3] stream:<id>:restream-version
-- ARGV user_id, size_bytes, duration_s, width, height, updated_at
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
local replaced = redis.call('EXISTS', KEYS[2])
local version = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], 'size_bytes', ARGV[2], 'duration_s', ARGV[3], 'width', ARGV[4], 'height', ARGV[5],
  'updated_at', ARGV[6], 'version', version)
return {version, replaced}
`);

/** Forgets the fallback and bumps the version: 1, 0 when there was none, -1 when the stream is not the user's. */
const DELETE_FALLBACK = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:fallback  KEYS[3] stream:<id>:restream-version   ARGV user_id
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
if redis.call('DEL', KEYS[2]) == 0 then return 0 end
redis.call('INCR', KEYS[3])
return 1
`);

/** Which streams have a fallback video and what it is; the file itself is FallbackFiles'. */
export class FallbackStore {
  constructor(private readonly redis: Redis) {}

  /** Null when the stream is not the user's. */
  async put(userId: string, streamId: string, media: FallbackMedia): Promise<{ info: FallbackInfo; replaced: boolean } | null> {
    const updatedAt = new Date().toISOString();
    const reply = await PUT_FALLBACK.run(
      this.redis,
      [streamKey(streamId), streamFallbackKey(streamId), restreamVersionKey(streamId)],
      [userId, media.sizeBytes, media.durationS, media.width, media.height, updatedAt],
    );
    if (!Array.isArray(reply)) return null;
    const [version, replaced] = reply as [number, number];
    return { info: { ...media, updatedAt, version }, replaced: replaced === 1 };
  }

  /** The stream's fallback, whoever owns the stream (the caller checked). */
  async get(streamId: string): Promise<FallbackInfo | null> {
    return parseFallbackInfo(hashOrNull(await call(this.redis.hgetall(streamFallbackKey(streamId)))));
  }

  /** 'deleted', 'none' (no fallback) or 'not-owned'. */
  async delete(userId: string, streamId: string): Promise<'deleted' | 'none' | 'not-owned'> {
    const reply = await DELETE_FALLBACK.run(
      this.redis,
      [streamKey(streamId), streamFallbackKey(streamId), restreamVersionKey(streamId)],
      [userId],
    );
    return reply === 1 ? 'deleted' : reply === 0 ? 'none' : 'not-owned';
  }
}

export function parseFallbackInfo(hash: Record<string, string> | null): FallbackInfo | null {
  if (!hash?.updated_at || hash.version === undefined) return null;
  return {
    sizeBytes: Number(hash.size_bytes),
    durationS: Number(hash.duration_s),
    width: Number(hash.width),
    height: Number(hash.height),
    updatedAt: hash.updated_at,
    version: Number(hash.version),
  };
}
