import type { Redis } from 'ioredis';
import { InternalError } from '../errors.js';
import { MAX_ID_ATTEMPTS, randomId } from '../random-strings.js';
import { ADD_NEWEST_LUA } from './creation-order.js';
import { RedisScript, call, exec, hashOrNull } from './redis-calls.js';
import { DELETE_VIDEOS_LUA } from './stream-videos-lua.js';
import {
  ID_PLACEHOLDER,
  USERS,
  streamOwnedKeys,
  streamVideosKey,
  tokenKey,
  userFallbackReservationsKey,
  userKey,
  userStreamsKey,
  userTokensKey,
  videoKey,
} from './redis-keys.js';

export interface User {
  id: string;
  name: string;
  createdAt: string;
}

/** Creates the user unless the id is taken (returns 0 then). */
const CREATE_USER = new RedisScript(`
-- KEYS[1] user:<id>  KEYS[2] users   ARGV id, name, created_at, created_at_ms
${ADD_NEWEST_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'created_at', ARGV[3])
add_newest(KEYS[2], ARGV[4], ARGV[1])
return 1
`);

/**
 * Deletes a user with everything it owns, atomically, so no token of a deleted user keeps
 * working and no stream of it is left half deleted. The per-token and per-stream keys are built
 * from templates (redis-keys.ts) because their ids are only known inside the script.
 */
const DELETE_USER = new RedisScript(`
-- KEYS[1] user:<id>  KEYS[2] users  KEYS[3] user:<id>:tokens  KEYS[4] user:<id>:streams
-- KEYS[5] user:<id>:fallback-reservations
-- ARGV[1] user id, ARGV[2] token key template, ARGV[3] stream videos key template, ARGV[4] video
-- key template, ARGV[5..] key templates of one stream
-- Returns 0 for an unknown user, else {1, the ids of the streams deleted…}.
${DELETE_VIDEOS_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, token in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  redis.call('DEL', (string.gsub(ARGV[2], '${ID_PLACEHOLDER}', token)))
end
local streams = redis.call('ZRANGE', KEYS[4], 0, -1)
for _, stream in ipairs(streams) do
  delete_videos((string.gsub(ARGV[3], '${ID_PLACEHOLDER}', stream)), ARGV[4])
  for i = 5, #ARGV do redis.call('DEL', (string.gsub(ARGV[i], '${ID_PLACEHOLDER}', stream))) end
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[2], ARGV[1])
table.insert(streams, 1, 1)
return streams
`);

/** HSET (or HDEL when ARGV[1] is '') a stored user's recording quota override; 0 for an unknown user. */
const SET_RECORDING_QUOTA = new RedisScript(`
-- KEYS[1] user:<id>   ARGV bytes ('': back to RECORDING_QUOTA_BYTES)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'recording_quota_bytes') else redis.call('HSET', KEYS[1], 'recording_quota_bytes', ARGV[1]) end
return 1
`);

export interface UserStoreOptions {
  /** Clock for creation times (tests freeze it). */
  now?: () => number;
}

/** Users (the built-in admin is not one of them: it lives in settings, not in Redis). */
export class UserStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { now = Date.now }: UserStoreOptions = {},
  ) {
    this.now = now;
  }

  async create(name: string): Promise<User> {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const now = new Date(this.now());
      const user = { id: randomId(), name, createdAt: now.toISOString() };
      const created = await CREATE_USER.run(this.redis, [userKey(user.id), USERS], [user.id, name, user.createdAt, now.getTime()]);
      if (created === 1) return user;
    }
    throw new InternalError(new Error(`no free user id after ${MAX_ID_ATTEMPTS} attempts`));
  }

  async get(id: string): Promise<User | null> {
    return toUser(hashOrNull(await call(this.redis.hgetall(userKey(id)))));
  }

  /** Every user, oldest first (creation order, see creation-order.ts). */
  async list(): Promise<User[]> {
    const ids = await call(this.redis.zrange(USERS, '0', '-1'));
    if (ids.length === 0) return [];
    const transaction = this.redis.multi();
    for (const id of ids) transaction.hgetall(userKey(id));
    const replies = await exec(transaction);
    return replies.map((reply) => toUser(hashOrNull(reply))).filter((user): user is User => user !== null);
  }

  /** The admin's override of RECORDING_QUOTA_BYTES for the user; null: none (the setting applies). */
  async recordingQuotaOverride(id: string): Promise<number | null> {
    const bytes = await call(this.redis.hget(userKey(id), 'recording_quota_bytes'));
    return bytes ? Number(bytes) : null;
  }

  /** Sets the user's recording quota (null: back to the setting); false when the user does not exist. */
  async setRecordingQuota(id: string, bytes: number | null): Promise<boolean> {
    return (await SET_RECORDING_QUOTA.run(this.redis, [userKey(id)], [bytes ?? ''])) === 1;
  }

  /**
   * Deletes the user, its tokens and its streams (with their targets and live state); returns
   * the ids of the streams deleted (their fallback files are the caller's), null when unknown.
   */
  async delete(id: string): Promise<string[] | null> {
    const deleted = await DELETE_USER.run(
      this.redis,
      [userKey(id), USERS, userTokensKey(id), userStreamsKey(id), userFallbackReservationsKey(id)],
      [id, tokenKey(ID_PLACEHOLDER), streamVideosKey(ID_PLACEHOLDER), videoKey(ID_PLACEHOLDER), ...streamOwnedKeys(ID_PLACEHOLDER)],
    );
    return Array.isArray(deleted) ? deleted.slice(1).map(String) : null;
  }
}

function toUser(hash: Record<string, string> | null): User | null {
  if (!hash?.id || hash.name === undefined || !hash.created_at) return null;
  return { id: hash.id, name: hash.name, createdAt: hash.created_at };
}
