import type { Redis } from 'ioredis';
import { RedisScript, call, hashOrNull } from './redis-calls.js';
import { publisherKey } from './redis-keys.js';

export interface PublisherLease {
  originId: string;
  sessionId: string;
  startedAt: string;
}

/**
 * Takes the lease for a session, or renews it when the session already holds it (keeping
 * started_at). Returns 1, or the session id of the other publisher that holds it.
 */
const CLAIM = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV session_id, origin_id, started_at, ttl_ms
local holder = redis.call('HGET', KEYS[1], 'session_id')
if holder and holder ~= ARGV[1] then return holder end
if not holder then redis.call('HSET', KEYS[1], 'session_id', ARGV[1], 'started_at', ARGV[3]) end
redis.call('HSET', KEYS[1], 'origin_id', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

/** Deletes the lease only if the session holds it: 1, else 0. */
const RELEASE = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV session_id
if redis.call('HGET', KEYS[1], 'session_id') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

export type ClaimResult = { claimed: true } | { claimed: false; holderSessionId: string };

/**
 * One publisher per stream across all origins: a lease per stream name with a TTL, taken when a
 * publish is authorized and renewed by the origin's heartbeats. A publisher whose origin stops
 * reporting loses the lease after the TTL, so a crashed origin does not block the stream.
 */
export class PublisherLeaseStore {
  constructor(
    private readonly redis: Redis,
    readonly ttlSeconds: number,
  ) {}

  async claim(stream: string, originId: string, sessionId: string): Promise<ClaimResult> {
    const reply = await CLAIM.run(
      this.redis,
      [publisherKey(stream)],
      [sessionId, originId, new Date().toISOString(), this.ttlSeconds * 1000],
    );
    return reply === 1 ? { claimed: true } : { claimed: false, holderSessionId: String(reply) };
  }

  async release(stream: string, sessionId: string): Promise<boolean> {
    return (await RELEASE.run(this.redis, [publisherKey(stream)], [sessionId])) === 1;
  }

  async get(stream: string): Promise<PublisherLease | null> {
    const hash = hashOrNull(await call(this.redis.hgetall(publisherKey(stream))));
    if (!hash?.session_id || !hash.started_at) return null;
    return { originId: hash.origin_id ?? '', sessionId: hash.session_id, startedAt: hash.started_at };
  }
}
