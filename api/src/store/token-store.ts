import type { Redis } from 'ioredis';
import { InternalError, TooManyTokensError } from '../errors.js';
import { MAX_ID_ATTEMPTS, randomId } from '../random-strings.js';
import { ADD_NEWEST_LUA } from './creation-order.js';
import { RedisScript, call, exec, hashOrNull } from './redis-calls.js';
import { tokenKey, userKey, userTokensKey } from './redis-keys.js';

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  /** SHA-256 (hex) of the token's secret; the secret itself is never stored. */
  secretSha256: string;
}

/**
 * Creates the token unless the id is taken (0), its user no longer exists (-1) or already has the
 * most tokens allowed (-2): counted and added in one step, so concurrent creations cannot pass
 * the limit together.
 */
const CREATE_TOKEN = new RedisScript(`
-- KEYS[1] token:<id>  KEYS[2] user:<user>  KEYS[3] user:<user>:tokens
-- ARGV id, user_id, name, secret_sha256, created_at, created_at_ms, max_tokens
${ADD_NEWEST_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return -2 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'user_id', ARGV[2], 'name', ARGV[3], 'secret_sha256', ARGV[4], 'created_at', ARGV[5])
add_newest(KEYS[3], ARGV[6], ARGV[1])
return 1
`);

/** Deletes the token if it belongs to the user: 1 deleted, 0 not found (or another user's). */
const DELETE_TOKEN = new RedisScript(`
-- KEYS[1] token:<id>  KEYS[2] user:<user>:tokens   ARGV token id, user id
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);

export interface TokenStoreOptions {
  /** Clock for creation times (tests freeze it). */
  now?: () => number;
}

/** API tokens of stored users. */
export class TokenStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { now = Date.now }: TokenStoreOptions = {},
  ) {
    this.now = now;
  }

  /** Stores a token for `userId`; null when the user does not exist (any more); TooManyTokensError past `maxTokens`. */
  async create(userId: string, name: string, secretSha256: string, maxTokens: number): Promise<ApiTokenRecord | null> {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const now = new Date(this.now());
      const token = { id: randomId(), userId, name, createdAt: now.toISOString(), secretSha256 };
      const created = await CREATE_TOKEN.run(
        this.redis,
        [tokenKey(token.id), userKey(userId), userTokensKey(userId)],
        [token.id, userId, name, secretSha256, token.createdAt, now.getTime(), maxTokens],
      );
      if (created === 1) return token;
      if (created === -1) return null;
      if (created === -2) throw new TooManyTokensError(userId, maxTokens);
    }
    throw new InternalError(new Error(`no free token id after ${MAX_ID_ATTEMPTS} attempts`));
  }

  async get(id: string): Promise<ApiTokenRecord | null> {
    return toToken(hashOrNull(await call(this.redis.hgetall(tokenKey(id)))));
  }

  /** The user's tokens, oldest first (creation order, see creation-order.ts). */
  async list(userId: string): Promise<ApiTokenRecord[]> {
    const ids = await call(this.redis.zrange(userTokensKey(userId), '0', '-1'));
    if (ids.length === 0) return [];
    const transaction = this.redis.multi();
    for (const id of ids) transaction.hgetall(tokenKey(id));
    const replies = await exec(transaction);
    return replies.map((reply) => toToken(hashOrNull(reply))).filter((token): token is ApiTokenRecord => token !== null);
  }

  /** Revokes one of the user's tokens; false when the user has no such token. */
  async delete(userId: string, tokenId: string): Promise<boolean> {
    return (await DELETE_TOKEN.run(this.redis, [tokenKey(tokenId), userTokensKey(userId)], [tokenId, userId])) === 1;
  }
}

function toToken(hash: Record<string, string> | null): ApiTokenRecord | null {
  if (!hash?.id || !hash.user_id || hash.name === undefined || !hash.created_at || !hash.secret_sha256) return null;
  return { id: hash.id, userId: hash.user_id, name: hash.name, createdAt: hash.created_at, secretSha256: hash.secret_sha256 };
}
