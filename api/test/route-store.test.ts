import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { expiresAtMs } from '../../test-support/redis-expiry.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { RouteStore } from '../src/store/route-store.js';

t.test('route store keys, expiry and pruning on a real redis-server', async (t) => {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  t.teardown(async () => {
    await redis.quit();
    await server.remove();
  });
  // Expiry scores follow this clock; key TTLs follow Redis's, so they stay long enough here.
  let now = 1_700_000_000_000;
  const store = new RouteStore(redis, { ttlSeconds: 30, now: () => now });

  /** Each key expires `ms` after the write (on Redis's clock, which is this machine's). */
  async function expireAfter(t: Test, keys: string[], ms: number, write: () => Promise<void>, what: string) {
    const before = Date.now();
    await write();
    const after = Date.now();
    for (const key of keys) {
      const at = await expiresAtMs(redis, key);
      t.ok(at !== null && at >= before + ms - 1 && at <= after + ms + 1, `${key} ${what}`);
    }
  }

  t.test('the documented key schema', async (t) => {
    await expireAfter(
      t,
      ['live:origins:schema', 'live:registered:schema', 'live:manifests:schema'],
      30_000,
      () => store.register('schema', 'origin-a:8080', 'index.m3u8'),
      'has the route TTL',
    );
    t.same(await redis.zrange('live:origins:schema', '0', '-1', 'WITHSCORES'), ['origin-a:8080', String(now + 30_000)]);
    t.same(await redis.zrange('live:registered:schema', '0', '-1', 'WITHSCORES'), ['origin-a:8080', String(now)]);
    t.same(await redis.hgetall('live:manifests:schema'), { 'origin-a:8080': 'index.m3u8' });
  });

  t.test('expired origins are pruned; one that comes back counts as new', async (t) => {
    const start = now;
    await store.register('prune', 'a', 'index.m3u8');
    now += 10_000;
    await store.register('prune', 'b', 'index.m3u8');
    now += 10_000;
    await store.register('prune', 'a', 'index.m3u8');
    t.same(
      (await store.liveOrigins('prune')).map((origin) => [origin.host, origin.registeredAtMs]),
      [
        ['b', start + 10_000],
        ['a', start],
      ],
      'a heartbeat keeps the registration time; the newest registration first',
    );

    now += 30_000; // b's last report (start + 10 s) expired; a's (start + 20 s) too.
    t.same(await store.liveOrigins('prune'), []);
    t.same(await redis.zrange('live:origins:prune', '0', '-1'), [], 'pruned on read');

    await store.register('prune', 'b', 'index.m3u8');
    now += 1;
    await store.register('prune', 'a', 'index.m3u8');
    t.same(
      (await store.liveOrigins('prune')).map((origin) => [origin.host, origin.registeredAtMs]),
      [
        ['a', now],
        ['b', now - 1],
      ],
      'registration times restart after expiry',
    );
    t.same(await redis.zrange('live:registered:prune', '0', '-1'), ['b', 'a'], 'stale registration times are dropped');
  });

  t.test('an origin expires at exactly its expiry time', async (t) => {
    await store.register('edge', 'only', 'index.m3u8');
    now += 29_999;
    t.equal((await store.liveOrigins('edge')).length, 1);
    now += 1;
    t.equal((await store.liveOrigins('edge')).length, 0);
  });

  t.test('withdraw removes one host from all four keys, or every key', async (t) => {
    await store.register('bye', 'a', 'index.m3u8');
    await store.register('bye', 'b', 'index.m3u8');
    await store.end('bye', 'a', 'index.m3u8', 60);
    await store.end('bye', 'b', 'index.m3u8', 60);
    await store.withdraw('bye', 'a');
    t.same(await redis.zrange('live:origins:bye', '0', '-1'), ['b']);
    t.same(await redis.zrange('live:registered:bye', '0', '-1'), ['b']);
    t.same(await redis.hkeys('live:manifests:bye'), ['b']);
    t.same(await redis.hkeys('live:ended:bye'), ['b']);
    await store.withdraw('bye');
    t.equal(await redis.exists('live:origins:bye', 'live:registered:bye', 'live:manifests:bye', 'live:ended:bye'), 0);
  });

  t.test('an ended origin stays listed, as ended, for its grace period', async (t) => {
    const start = now;
    await store.register('show', 'a', 'index.m3u8');
    now += 1_000;
    await expireAfter(
      t,
      ['live:origins:show', 'live:registered:show', 'live:manifests:show', 'live:ended:show'],
      60_000,
      () => store.end('show', 'a', 'index.m3u8', 60),
      'lasts the grace period, longer than the route TTL',
    );
    t.same(await store.liveOrigins('show'), [], 'not live any more');
    t.same(await store.registrations('show'), [
      { host: 'a', manifest: 'index.m3u8', registeredAtMs: start, expiresAtMs: now + 60_000, endedAtMs: now },
    ]);
    t.same(await redis.hgetall('live:ended:show'), { a: String(now) });
    now += 59_999;
    t.equal((await store.registrations('show')).length, 1);
    now += 1;
    t.same(await store.registrations('show'), [], 'gone at exactly the end of the grace period');
  });

  t.test('live origins are listed before ended ones; a live report keeps an ended neighbour', async (t) => {
    await store.register('moved', 'old', 'index.m3u8');
    now += 1_000;
    await store.end('moved', 'old', 'index.m3u8', 120);
    now += 1_000;
    // 1 s of the fake clock passed since the end: 119 s of grace are left.
    await expireAfter(t, ['live:registered:moved'], 119_000, () => store.register('moved', 'new', 'index.m3u8'), "keeps the ended origin's grace");
    t.same(
      (await store.registrations('moved')).map((origin) => [origin.host, origin.endedAtMs !== undefined]),
      [
        ['new', false],
        ['old', true],
      ],
    );
    t.same((await store.liveOrigins('moved')).map((origin) => origin.host), ['new']);
  });

  t.test('a publisher back within the grace period is live again, as a new run', async (t) => {
    await store.register('back', 'a', 'index.m3u8');
    now += 5_000;
    await store.end('back', 'a', 'index.m3u8', 60);
    now += 5_000;
    await store.register('back', 'a', 'index.m3u8');
    const [origin] = await store.liveOrigins('back');
    t.same(origin, { host: 'a', manifest: 'index.m3u8', registeredAtMs: now, expiresAtMs: now + 30_000, endedAtMs: undefined });
    t.same(await redis.hgetall('live:ended:back'), {}, 'no longer marked ended');
    now += 1_000;
    await store.register('back', 'a', 'index.m3u8');
    t.equal((await store.liveOrigins('back'))[0]?.registeredAtMs, now - 1_000, 'heartbeats keep the new run');
  });
});
