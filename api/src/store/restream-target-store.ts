import type { Redis } from 'ioredis';
import { InternalError, StreamNotFoundError, TargetNotFoundError, TooManyTargetsError } from '../errors.js';
import { MAX_ID_ATTEMPTS, randomId } from '../random-strings.js';
import type { Platform } from '../restream/platforms.js';
import { parseFallbackInfo, type FallbackInfo } from './fallback-store.js';
import { RedisScript, call, exec, hashOrNull } from './redis-calls.js';
import { restreamStatusKey, restreamVersionKey, streamFallbackKey, streamKey, streamTargetKeysKey, streamTargetsKey } from './redis-keys.js';

export interface RetryPolicy {
  /** Refusals in a row (wrong key, TLS failure) before the origin gives the target up; 0 never. */
  attempts: number;
  /** First retry delay, seconds; the origin doubles it after each failure up to its cap. */
  delayS: number;
}

/** A restream target as stored: never its stream key. */
export interface RestreamTarget {
  id: string;
  name: string;
  platform: Platform;
  /** The user's ingest URL; null for a well-known platform's own (its setting). */
  streamUrl: string | null;
  enabled: boolean;
  retry: RetryPolicy;
  createdAt: string;
  updatedAt: string;
}

export type NewRestreamTarget = Omit<RestreamTarget, 'id' | 'createdAt' | 'updatedAt'>;
export type RestreamTargetChanges = Partial<Pick<RestreamTarget, 'name' | 'streamUrl' | 'enabled'>> & { retry?: Partial<RetryPolicy> };

/** What an origin needs to push a stream: every target with its real key, and the fallback. */
export interface RestreamConfig {
  version: number;
  targets: (RestreamTarget & { streamKey: string })[];
  fallback: FallbackInfo | null;
}

/** The stored JSON of a target. */
interface StoredTarget {
  id: string;
  name: string;
  platform: Platform;
  stream_url: string | null;
  enabled: boolean;
  retry_attempts: number;
  retry_delay_s: number;
  created_at: string;
  updated_at: string;
  /**
   * The restream version the target's creation produced: the listing order, since created_at
   * ties within a millisecond. Set by CREATE_TARGET; absent in targets stored before it was.
   */
  sequence?: number;
}

/**
 * Adds a target to the user's stream and bumps the stream's restream version, which becomes the
 * target's `sequence`. Returns the new version, -1 when the stream is not the user's, -2 at the
 * target limit, 0 when the id is taken.
 */
const CREATE_TARGET = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:targets  KEYS[3] stream:<id>:target-keys  KEYS[4] stream:<id>:restream-version
-- ARGV user_id, target id, target JSON (without sequence), stream key, max targets
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return -2 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
local version = redis.call('INCR', KEYS[4])
local target = cjson.decode(ARGV[3])
target['sequence'] = version
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(target))
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return version
`);

/**
 * Merges changed fields into the stored target (so two concurrent updates of different fields
 * both land), replaces the key when one is given, bumps the version. Returns the target's new
 * JSON, -1 when the stream is not the user's, 0 when it has no such target.
 */
const UPDATE_TARGET = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:targets  KEYS[3] stream:<id>:target-keys  KEYS[4] stream:<id>:restream-version
-- ARGV user_id, target id, JSON of the changed fields, new stream key or '' to keep it
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
local stored = redis.call('HGET', KEYS[2], ARGV[2])
if not stored then return 0 end
local target = cjson.decode(stored)
for field, value in pairs(cjson.decode(ARGV[3])) do target[field] = value end
local json = cjson.encode(target)
redis.call('HSET', KEYS[2], ARGV[2], json)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[4]) end
redis.call('INCR', KEYS[4])
return json
`);

/** Deletes a target with its key and status, bumps the version: 1, -1 not the user's stream, 0 no such target. */
const DELETE_TARGET = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:targets  KEYS[3] stream:<id>:target-keys  KEYS[4] stream:<id>:restream-version
-- KEYS[5] restream-status:<id>   ARGV user_id, target id
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
redis.call('INCR', KEYS[4])
return 1
`);

export interface RestreamTargetStoreOptions {
  /** Clock for creation and update times (tests freeze it). */
  now?: () => number;
}

/**
 * Restream targets of streams (seed 000) and each stream's restream version. Writes check that
 * the stream is the user's; reads take a stream the caller has already checked.
 */
export class RestreamTargetStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { now = Date.now }: RestreamTargetStoreOptions = {},
  ) {
    this.now = now;
  }

  /** Throws StreamNotFoundError (not the user's stream) or TooManyTargetsError. */
  async create(userId: string, streamId: string, fields: NewRestreamTarget, streamKeyValue: string, maxTargets: number): Promise<RestreamTarget> {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const now = new Date(this.now()).toISOString();
      const target: RestreamTarget = { ...fields, id: randomId(), createdAt: now, updatedAt: now };
      const reply = await CREATE_TARGET.run(
        this.redis,
        [streamKey(streamId), streamTargetsKey(streamId), streamTargetKeysKey(streamId), restreamVersionKey(streamId)],
        [userId, target.id, JSON.stringify(toStored(target)), streamKeyValue, maxTargets],
      );
      if (reply === -1) throw new StreamNotFoundError(streamId);
      if (reply === -2) throw new TooManyTargetsError(streamId, maxTargets);
      if (typeof reply === 'number' && reply > 0) return target;
    }
    throw new InternalError(new Error(`no free target id after ${MAX_ID_ATTEMPTS} attempts`));
  }

  /** The stream's targets, oldest first (creation order: `sequence`). */
  async list(streamId: string): Promise<RestreamTarget[]> {
    return parseTargets(await call(this.redis.hgetall(streamTargetsKey(streamId))));
  }

  /** The targets of each stream, oldest first, in one round trip. */
  async listMany(streamIds: readonly string[]): Promise<Map<string, RestreamTarget[]>> {
    const found = new Map<string, RestreamTarget[]>();
    if (streamIds.length === 0) return found;
    const transaction = this.redis.multi();
    for (const id of streamIds) transaction.hgetall(streamTargetsKey(id));
    const replies = await exec(transaction);
    streamIds.forEach((id, index) => found.set(id, parseTargets(replies[index])));
    return found;
  }

  async get(streamId: string, targetId: string): Promise<RestreamTarget | null> {
    const stored = await call(this.redis.hget(streamTargetsKey(streamId), targetId));
    return stored === null ? null : fromStored(JSON.parse(stored) as StoredTarget);
  }

  /** The target's stream key (secret: for masking here, and for origins). */
  async streamKeyOf(streamId: string, targetId: string): Promise<string | null> {
    return call(this.redis.hget(streamTargetKeysKey(streamId), targetId));
  }

  /** Throws StreamNotFoundError or TargetNotFoundError. `streamKeyValue` replaces the key when given. */
  async update(
    userId: string,
    streamId: string,
    targetId: string,
    changes: RestreamTargetChanges,
    streamKeyValue: string | undefined,
  ): Promise<RestreamTarget> {
    const stored: Partial<StoredTarget> = { updated_at: new Date(this.now()).toISOString() };
    if (changes.name !== undefined) stored.name = changes.name;
    if (changes.streamUrl !== undefined) stored.stream_url = changes.streamUrl;
    if (changes.enabled !== undefined) stored.enabled = changes.enabled;
    if (changes.retry?.attempts !== undefined) stored.retry_attempts = changes.retry.attempts;
    if (changes.retry?.delayS !== undefined) stored.retry_delay_s = changes.retry.delayS;
    const reply = await UPDATE_TARGET.run(
      this.redis,
      [streamKey(streamId), streamTargetsKey(streamId), streamTargetKeysKey(streamId), restreamVersionKey(streamId)],
      [userId, targetId, JSON.stringify(stored), streamKeyValue ?? ''],
    );
    if (reply === -1) throw new StreamNotFoundError(streamId);
    if (typeof reply !== 'string') throw new TargetNotFoundError(targetId);
    return fromStored(JSON.parse(reply) as StoredTarget);
  }

  /** Throws StreamNotFoundError or TargetNotFoundError. */
  async delete(userId: string, streamId: string, targetId: string): Promise<void> {
    const reply = await DELETE_TARGET.run(
      this.redis,
      [streamKey(streamId), streamTargetsKey(streamId), streamTargetKeysKey(streamId), restreamVersionKey(streamId), restreamStatusKey(streamId)],
      [userId, targetId],
    );
    if (reply === -1) throw new StreamNotFoundError(streamId);
    if (reply !== 1) throw new TargetNotFoundError(targetId);
  }

  /** The restream version of each stream; 0 for one that never had targets or a fallback (or does not exist). */
  async versions(streams: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(streams)];
    const found = new Map<string, number>();
    if (unique.length === 0) return found;
    const replies = await call(this.redis.mget(unique.map(restreamVersionKey)));
    unique.forEach((stream, index) => found.set(stream, Number(replies[index] ?? 0)));
    return found;
  }

  /** Everything an origin needs to push the stream, whoever owns it; null when the stream does not exist. */
  async config(streamId: string): Promise<RestreamConfig | null> {
    const [exists, version, targets, keys, fallback] = await exec(
      this.redis
        .multi()
        .exists(streamKey(streamId))
        .get(restreamVersionKey(streamId))
        .hgetall(streamTargetsKey(streamId))
        .hgetall(streamTargetKeysKey(streamId))
        .hgetall(streamFallbackKey(streamId)),
    );
    if (exists !== 1) return null;
    const secrets = (keys ?? {}) as Record<string, string>;
    return {
      version: Number(version ?? 0),
      targets: parseTargets(targets).flatMap((target) => {
        const key = secrets[target.id];
        return key === undefined ? [] : [{ ...target, streamKey: key }];
      }),
      fallback: parseFallbackInfo(hashOrNull(fallback)),
    };
  }
}

/** The targets of an HGETALL reply in creation order (targets stored without a sequence first). */
function parseTargets(reply: unknown): RestreamTarget[] {
  const hash = (reply ?? {}) as Record<string, string>;
  return Object.values(hash)
    .map((json) => JSON.parse(json) as StoredTarget)
    .sort(
      (a, b) =>
        (a.sequence ?? 0) - (b.sequence ?? 0) || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    )
    .map(fromStored);
}

function toStored(target: RestreamTarget): StoredTarget {
  return {
    id: target.id,
    name: target.name,
    platform: target.platform,
    stream_url: target.streamUrl,
    enabled: target.enabled,
    retry_attempts: target.retry.attempts,
    retry_delay_s: target.retry.delayS,
    created_at: target.createdAt,
    updated_at: target.updatedAt,
  };
}

function fromStored(stored: StoredTarget): RestreamTarget {
  return {
    id: stored.id,
    name: stored.name,
    platform: stored.platform,
    streamUrl: stored.stream_url ?? null,
    enabled: stored.enabled,
    retry: { attempts: stored.retry_attempts, delayS: stored.retry_delay_s },
    createdAt: stored.created_at,
    updatedAt: stored.updated_at,
  };
}
