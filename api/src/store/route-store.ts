/**
 * Which origins hold each live stream, in Redis (keys in redis-keys.ts), per stream name `<name>`:
 *
 *   live:origins:<name>     ZSET  member origin host, score expiresAtMs (unix ms) of its last report
 *   live:registered:<name>  ZSET  member origin host, score registeredAtMs: when its current run of
 *                                 reports began, kept while reports keep it alive
 *   live:manifests:<name>   HASH  field origin host, value manifest path (e.g. index.m3u8)
 *
 * Several origins may hold the same name at once (a publisher moved, or a standby took over), so
 * each one expires on its own: an origin is live while its score in `live:origins:<name>` is in
 * the future. Expired members are pruned on every write and read. The three keys get the route
 * TTL again (PEXPIRE) on each report, so a name whose origins all stopped reporting disappears
 * from Redis by itself. A manifest field of an expired origin may linger until then; it is never
 * read, because only live members of `live:origins:<name>` are looked up.
 *
 * Every write is one MULTI transaction, so readers never see half a registration.
 */
import type { Redis } from 'ioredis';
import { call, exec } from './redis-calls.js';
import {
  liveManifestsKey as manifestsKey,
  liveOriginsKey as originsKey,
  liveRegisteredKey as registeredKey,
} from './redis-keys.js';

export interface OriginRegistration {
  host: string;
  manifest: string;
  registeredAtMs: number;
  expiresAtMs: number;
}

export interface RouteStoreOptions {
  ttlSeconds: number;
  /** Clock for expiry scores; the API instances sharing a Redis are assumed to be NTP-synced. */
  now?: () => number;
}

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

  /** Registers `host` as holding `name`, or refreshes it, for the next TTL. */
  async register(name: string, host: string, manifest: string): Promise<void> {
    const now = this.now();
    const ttlMs = this.ttlSeconds * 1000;
    const origins = originsKey(name);
    const registered = registeredKey(name);
    const manifests = manifestsKey(name);
    await exec(
      this.redis
        .multi()
        .zremrangebyscore(origins, '-inf', now)
        // Keep only registration times of origins still live (weight 0 drops the expiry score),
        // so an origin that expired and comes back counts as newly registered.
        .zinterstore(registered, 2, registered, origins, 'WEIGHTS', 1, 0)
        .zadd(registered, 'NX', now, host)
        .zadd(origins, now + ttlMs, host)
        .hset(manifests, host, manifest)
        .pexpire(origins, ttlMs)
        .pexpire(registered, ttlMs)
        .pexpire(manifests, ttlMs),
    );
  }

  /** The live origins of `name`, first registered first; empty when the stream is not live. */
  async liveOrigins(name: string): Promise<OriginRegistration[]> {
    const origins = originsKey(name);
    const replies = await exec(
      this.redis
        .multi()
        .zremrangebyscore(origins, '-inf', this.now())
        .zrange(origins, '0', '-1', 'WITHSCORES')
        .zrange(registeredKey(name), '0', '-1', 'WITHSCORES')
        .hgetall(manifestsKey(name)),
    );
    const expiries = scoresByMember(replies[1]);
    const registrations = scoresByMember(replies[2]);
    const manifests = (replies[3] ?? {}) as Record<string, string>;
    const live: OriginRegistration[] = [];
    for (const [host, expiresAtMs] of expiries) {
      const manifest = manifests[host];
      const registeredAtMs = registrations.get(host);
      if (manifest === undefined || registeredAtMs === undefined) continue;
      live.push({ host, manifest, registeredAtMs, expiresAtMs });
    }
    return live.sort((a, b) => a.registeredAtMs - b.registeredAtMs || a.host.localeCompare(b.host));
  }

  /** Withdraws one origin's registration of `name`, or every origin's when `host` is omitted. */
  async withdraw(name: string, host?: string): Promise<void> {
    const transaction =
      host === undefined
        ? this.redis.multi().del(originsKey(name), registeredKey(name), manifestsKey(name))
        : this.redis
            .multi()
            .zrem(originsKey(name), host)
            .zrem(registeredKey(name), host)
            .hdel(manifestsKey(name), host);
    await exec(transaction);
  }

  async ping(): Promise<void> {
    await call(this.redis.ping());
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
