/**
 * Which origins hold each stream, live or just ended, in Redis (keys in redis-keys.ts), per
 * stream name `<name>`:
 *
 *   live:origins:<name>     ZSET  member origin host, score expiresAtMs (unix ms): the end of its
 *                                 route TTL (live) or of its grace period (ended)
 *   live:registered:<name>  ZSET  member origin host, score registeredAtMs: when its current run of
 *                                 live reports began, kept while reports keep it alive
 *   live:manifests:<name>   HASH  field origin host, value manifest path (e.g. index.m3u8)
 *   live:ended:<name>       HASH  field origin host, value endedAtMs: the origin's playlist ended
 *                                 (ENDLIST, or it went stale); it still serves the final playlist
 *                                 and its segments until its score in live:origins passes
 *
 * Several origins may hold the same name at once (a publisher moved, or a standby took over), so
 * each one expires on its own: an origin is listed while its score in `live:origins:<name>` is in
 * the future. Expired members are pruned on every write and read. Every write sets the four keys'
 * TTL to the furthest score, so a name whose origins all stopped reporting disappears from Redis
 * by itself. A manifest or ended field of an expired origin may linger until then; it is never
 * read, because only listed members of `live:origins:<name>` are looked up.
 *
 * Writes are one Lua script, so readers never see half a registration.
 */
import type { Redis } from 'ioredis';
import { call, exec, RedisScript } from './redis-calls.js';
import {
  liveEndedKey as endedKey,
  liveManifestsKey as manifestsKey,
  liveOriginsKey as originsKey,
  liveRegisteredKey as registeredKey,
} from './redis-keys.js';

export interface OriginRegistration {
  host: string;
  manifest: string;
  registeredAtMs: number;
  expiresAtMs: number;
  /** When the origin reported the stream ended; undefined while it is live. */
  endedAtMs: number | undefined;
}

export interface RouteStoreOptions {
  ttlSeconds: number;
  /** Clock for expiry scores; the API instances sharing a Redis are assumed to be NTP-synced. */
  now?: () => number;
}

/**
 * KEYS: origins, registered, manifests, ended. ARGV: now, host, manifest, expiresAtMs, ended (1|0).
 * An origin that ends keeps its registration time; one that comes back live from ended starts a
 * new run (a new broadcast on the same URL).
 */
const REPORT = new RedisScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- Keep only registration times of origins still listed (weight 0 drops the expiry score),
-- so an origin that expired and comes back counts as newly registered.
redis.call('ZINTERSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'WEIGHTS', 1, 0)
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[2], 'NX', now, ARGV[2])
  redis.call('HSET', KEYS[4], ARGV[2], now)
elseif redis.call('HDEL', KEYS[4], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], now, ARGV[2])
else
  redis.call('ZADD', KEYS[2], 'NX', now, ARGV[2])
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
local furthest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], math.max(1, furthest - now)) end
`);

export class RouteStore {
  readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { ttlSeconds, now = Date.now }: RouteStoreOptions,
  ) {
    this.ttlSeconds = ttlSeconds;
    this.now = now;
  }

  /** Registers `host` as holding `name` live, or refreshes it, for the next TTL. */
  async register(name: string, host: string, manifest: string): Promise<void> {
    await this.report(name, host, manifest, this.ttlSeconds * 1000, false);
  }

  /** Marks `host`'s copy of `name` as ended: still listed, as ended, for `graceSeconds`. */
  async end(name: string, host: string, manifest: string, graceSeconds: number): Promise<void> {
    await this.report(name, host, manifest, graceSeconds * 1000, true);
  }

  /**
   * The listed origins of `name` in the platform's one order of preference: live ones first, then
   * ended ones, each group newest registration first; empty when no origin holds the stream.
   *
   * Newest first, because a stream is only on two origins while it moves: its publisher came
   * back on another origin (which took the stream's lease over; the first one lets the stream
   * go), or the first origin died and still looks live until its report goes stale. Either way
   * the newest registration is where the publisher is. Edges follow this order (see the edge's
   * RouteResolver), so viewers move with the publisher.
   */
  async registrations(name: string): Promise<OriginRegistration[]> {
    const origins = originsKey(name);
    const replies = await exec(
      this.redis
        .multi()
        .zremrangebyscore(origins, '-inf', this.now())
        .zrange(origins, '0', '-1', 'WITHSCORES')
        .zrange(registeredKey(name), '0', '-1', 'WITHSCORES')
        .hgetall(manifestsKey(name))
        .hgetall(endedKey(name)),
    );
    const expiries = scoresByMember(replies[1]);
    const registrations = scoresByMember(replies[2]);
    const manifests = (replies[3] ?? {}) as Record<string, string>;
    const ended = (replies[4] ?? {}) as Record<string, string>;
    const listed: OriginRegistration[] = [];
    for (const [host, expiresAtMs] of expiries) {
      const manifest = manifests[host];
      const registeredAtMs = registrations.get(host);
      if (manifest === undefined || registeredAtMs === undefined) continue;
      const endedAtMs = ended[host] === undefined ? undefined : Number(ended[host]);
      listed.push({ host, manifest, registeredAtMs, expiresAtMs, endedAtMs });
    }
    return listed.sort(
      (a, b) =>
        Number(a.endedAtMs !== undefined) - Number(b.endedAtMs !== undefined) ||
        b.registeredAtMs - a.registeredAtMs ||
        a.host.localeCompare(b.host),
    );
  }

  /** The origins holding `name` live (not ended), newest registration first. */
  async liveOrigins(name: string): Promise<OriginRegistration[]> {
    return (await this.registrations(name)).filter((origin) => origin.endedAtMs === undefined);
  }

  /** Withdraws one origin's registration of `name`, or every origin's when `host` is omitted. */
  async withdraw(name: string, host?: string): Promise<void> {
    const transaction =
      host === undefined
        ? this.redis.multi().del(originsKey(name), registeredKey(name), manifestsKey(name), endedKey(name))
        : this.redis
            .multi()
            .zrem(originsKey(name), host)
            .zrem(registeredKey(name), host)
            .hdel(manifestsKey(name), host)
            .hdel(endedKey(name), host);
    await exec(transaction);
  }

  async ping(): Promise<void> {
    await call(this.redis.ping());
  }

  private async report(name: string, host: string, manifest: string, forMs: number, ended: boolean): Promise<void> {
    const now = this.now();
    await REPORT.run(
      this.redis,
      [originsKey(name), registeredKey(name), manifestsKey(name), endedKey(name)],
      [now, host, manifest, now + forMs, ended ? 1 : 0],
    );
  }
}

/** Parses a ZRANGE … WITHSCORES reply (`[member, score, member, score, …]`). */
function scoresByMember(reply: unknown): Map<string, number> {
  const flat = Array.isArray(reply) ? (reply as string[]) : [];
  const scores = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    scores.set(String(flat[i]), Number(flat[i + 1]));
  }
  return scores;
}
