import type { Redis } from 'ioredis';
import { call, RedisScript } from './redis-calls.js';
import { publisherKey } from './redis-keys.js';

/**
 * Takes the lease for a session, or renews it when the session already holds it (keeping
 * started_at and state). A waiting lease is taken over by any new session.
 * Returns {'claimed'}, {'took_over', previous origin} or {'held', holder session}.
 */
const CLAIM = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV session_id, origin_id, started_at, ttl_ms
local holder = redis.call('HGET', KEYS[1], 'session_id')
local previous = redis.call('HGET', KEYS[1], 'origin_id')
local waiting = redis.call('HGET', KEYS[1], 'state') == 'waiting'
if holder and holder ~= ARGV[1] and not waiting then return {'held', holder} end
if holder ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'session_id', ARGV[1], 'started_at', ARGV[3])
  redis.call('HDEL', KEYS[1], 'state')
end
redis.call('HSET', KEYS[1], 'origin_id', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if holder and holder ~= ARGV[1] then return {'took_over', previous or ''} end
return {'claimed', ''}
`);

/** The session's publisher left: its lease turns waiting (same TTL). 1, or 0 when it held none. */
const LEAVE = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV session_id
if redis.call('HGET', KEYS[1], 'session_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'waiting')
return 1
`);

/**
 * The origin still holds the stream for its publisher's return: renews the lease, or takes it
 * back as waiting when it lapsed (Redis restarted, heartbeats late). 0 when another origin holds
 * it: a publisher came back there, and this origin must let the stream go.
 */
const HOLD_WAITING = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV origin_id, ttl_ms, now (ISO)
local origin = redis.call('HGET', KEYS[1], 'origin_id')
if origin and origin ~= ARGV[1] then return 0 end
if not origin then
  redis.call('HSET', KEYS[1], 'session_id', 'waiting:' .. ARGV[1], 'origin_id', ARGV[1], 'started_at', ARGV[3], 'state', 'waiting')
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** Deletes the lease only if the session holds it: 1, else 0. */
const RELEASE = new RedisScript(`
-- KEYS[1] publisher:<stream>   ARGV session_id
if redis.call('HGET', KEYS[1], 'session_id') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

export type ClaimResult =
  | { claimed: true; tookOverFrom: string | undefined }
  | { claimed: false; holderSessionId: string };

/**
 * One owner per stream across all origins: a lease per stream name with a TTL (`publisher:<stream>`,
 * a HASH of session_id, origin_id, started_at, and state `waiting` once its publisher has left
 * while the origin holds the stream for its return; a waiting lease blocks no publisher), taken when a
 * publish is authorized and renewed by the origin's heartbeats, for its live publishes and for
 * the streams it holds while their publisher is away. A publisher that comes back on another
 * origin takes the waiting lease over, and the first origin is told to let the stream go; an
 * origin that stops reporting (crashed) loses its leases after the TTL.
 */
export class PublisherLeaseStore {
  constructor(
    private readonly redis: Redis,
    readonly ttlSeconds: number,
  ) {}

  async claim(stream: string, originId: string, sessionId: string): Promise<ClaimResult> {
    const [status, value] = (await CLAIM.run(
      this.redis,
      [publisherKey(stream)],
      [sessionId, originId, new Date().toISOString(), this.ttlSeconds * 1000],
    )) as [string, string];
    if (status === 'held') return { claimed: false, holderSessionId: value };
    return { claimed: true, tookOverFrom: status === 'took_over' && value !== originId ? value : undefined };
  }

  /** The session's publisher left: the lease waits for the next publisher, here or elsewhere. */
  async publisherLeft(stream: string, sessionId: string): Promise<boolean> {
    return (await LEAVE.run(this.redis, [publisherKey(stream)], [sessionId])) === 1;
  }

  /** False when another origin holds the stream now. */
  async holdWaiting(stream: string, originId: string): Promise<boolean> {
    const reply = await HOLD_WAITING.run(
      this.redis,
      [publisherKey(stream)],
      [originId, this.ttlSeconds * 1000, new Date().toISOString()],
    );
    return reply === 1;
  }

  /** The publish live on the stream now: null when nobody holds it or its publisher has left (waiting). */
  async publisher(stream: string): Promise<{ originId: string; sessionId: string } | null> {
    const [originId, sessionId, state] = await call(this.redis.hmget(publisherKey(stream), 'origin_id', 'session_id', 'state'));
    if (!originId || !sessionId || state === 'waiting') return null;
    return { originId, sessionId };
  }

  async release(stream: string, sessionId: string): Promise<boolean> {
    return (await RELEASE.run(this.redis, [publisherKey(stream)], [sessionId])) === 1;
  }
}
