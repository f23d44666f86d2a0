import type { Redis } from 'ioredis';
import { RedisScript, call, hashOrNull } from './redis-calls.js';
import {
  ID_PLACEHOLDER,
  restreamVersionKey,
  streamFallbackKey,
  streamKey,
  userFallbackReservationsKey,
  userStreamsKey,
} from './redis-keys.js';

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
 * How long a reservation of fallback bytes holds: it is made just before the converted file is
 * moved into place and recorded, so it only outlives that (a few ms) when the API crashed then.
 */
const RESERVATION_MS = 60_000;

/**
 * Lua: the bytes a user's fallback videos take, for FALLBACK_MAX_BYTES_PER_USER: the converted
 * files recorded for the user's streams plus the reservations of files about to be recorded,
 * leaving out one stream (whose new video replaces its old one). Expired reservations are dropped.
 * A reservation is the field <stream id> of user:<user>:fallback-reservations, "<bytes> <expiry ms>".
 * Call `fallback_bytes_used(streams_key, reservations_key, fallback_key_template, except_stream, now_ms)`.
 */
const FALLBACK_BYTES_USED_LUA = `
local function fallback_bytes_used(streams_key, reservations_key, template, except_stream, now_ms)
  local used = 0
  for _, stream in ipairs(redis.call('ZRANGE', streams_key, 0, -1)) do
    if stream ~= except_stream then
      used = used + tonumber(redis.call('HGET', (string.gsub(template, '${ID_PLACEHOLDER}', stream)), 'size_bytes') or '0')
    end
  end
  local reservations = redis.call('HGETALL', reservations_key)
  for i = 1, #reservations, 2 do
    local stream = reservations[i]
    local bytes, expiry = string.match(reservations[i + 1], '^(%d+) (%d+)$')
    if tonumber(expiry) <= tonumber(now_ms) then
      redis.call('HDEL', reservations_key, stream)
    elseif stream ~= except_stream and redis.call('ZSCORE', streams_key, stream) then
      used = used + tonumber(bytes)
    end
  end
  return used
end
`;

/** The bytes the user's fallback videos take, leaving out one stream's. */
const FALLBACK_BYTES_USED = new RedisScript(`
-- KEYS[1] user:<user>:streams  KEYS[2] user:<user>:fallback-reservations
-- ARGV fallback key template, stream id left out, now_ms
${FALLBACK_BYTES_USED_LUA}
return fallback_bytes_used(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
`);

/**
 * Reserves a converted file's bytes for one of the user's streams unless that takes the user
 * past their limit: the check and the reservation are one step, so two uploads finishing at
 * once cannot both pass at the limit. Returns -1 when reserved, else the bytes already used.
 */
const RESERVE_FALLBACK_BYTES = new RedisScript(`
-- KEYS[1] user:<user>:streams  KEYS[2] user:<user>:fallback-reservations
-- ARGV fallback key template, stream id, bytes, max bytes, now_ms, reservation ms
${FALLBACK_BYTES_USED_LUA}
local used = fallback_bytes_used(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[5])
if used + tonumber(ARGV[3]) > tonumber(ARGV[4]) then return used end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3] .. ' ' .. (tonumber(ARGV[5]) + tonumber(ARGV[6])))
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return -1
`);

/**
 * Records the fallback of the user's stream, bumps the restream version and turns the stream's
 * reservation into the record. Returns {version, replaced (1 or 0)}, or -1 when the stream is
 * not the user's.
 */
const PUT_FALLBACK = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:fallback  KEYS[3] stream:<id>:restream-version
-- KEYS[4] user:<user>:fallback-reservations
-- ARGV user_id, size_bytes, duration_s, width, height, updated_at, stream id
redis.call('HDEL', KEYS[4], ARGV[7])
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

export interface FallbackStoreOptions {
  /** Clock of update times and reservation expiry (tests move it). */
  now?: () => number;
}

/**
 * Which streams have a fallback video and what it is (the file itself is FallbackFiles'), and the
 * bytes each user's videos take.
 */
export class FallbackStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { now = Date.now }: FallbackStoreOptions = {},
  ) {
    this.now = now;
  }

  /** The bytes the user's fallback videos take (recorded and reserved), leaving out `exceptStreamId`'s. */
  async bytesUsed(userId: string, exceptStreamId: string): Promise<number> {
    return Number(
      await FALLBACK_BYTES_USED.run(
        this.redis,
        [userStreamsKey(userId), userFallbackReservationsKey(userId)],
        [streamFallbackKey(ID_PLACEHOLDER), exceptStreamId, this.now()],
      ),
    );
  }

  /**
   * Reserves `bytes` for the stream's new video if the user's videos (its old one left out) stay
   * within `maxBytes`; put() or release() ends the reservation. Null when reserved, else the
   * bytes the user's other videos take.
   */
  async reserve(userId: string, streamId: string, bytes: number, maxBytes: number): Promise<number | null> {
    const reply = await RESERVE_FALLBACK_BYTES.run(
      this.redis,
      [userStreamsKey(userId), userFallbackReservationsKey(userId)],
      [streamFallbackKey(ID_PLACEHOLDER), streamId, bytes, maxBytes, this.now(), RESERVATION_MS],
    );
    return reply === -1 ? null : Number(reply);
  }

  /** Drops the stream's reservation (its video was not stored). */
  async release(userId: string, streamId: string): Promise<void> {
    await call(this.redis.hdel(userFallbackReservationsKey(userId), streamId));
  }

  /** Null when the stream is not the user's. */
  async put(userId: string, streamId: string, media: FallbackMedia): Promise<{ info: FallbackInfo; replaced: boolean } | null> {
    const updatedAt = new Date(this.now()).toISOString();
    const reply = await PUT_FALLBACK.run(
      this.redis,
      [streamKey(streamId), streamFallbackKey(streamId), restreamVersionKey(streamId), userFallbackReservationsKey(userId)],
      [userId, media.sizeBytes, media.durationS, media.width, media.height, updatedAt, streamId],
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
