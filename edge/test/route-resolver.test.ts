import t from 'tap';
import { RouteApiUnavailableError, StreamNotLiveError } from '../src/errors.js';
import { API_RECOVERY_MS, RouteResolver } from '../src/route-resolver.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';

async function originOf(resolver: RouteResolver, stream: string): Promise<string> {
  return (await resolver.resolve(stream)).origin;
}

/** A resolver on a hand-driven clock, with its log lines collected. */
function setup(options: { cacheMs?: number; notLiveCacheMs?: number; staleMs?: number; maxEntries?: number } = {}) {
  const lookup = new FakeRouteLookup();
  const clock = { now: 1_000_000 };
  const logs: Array<{ level: string; message: string; fields: object }> = [];
  const resolver = new RouteResolver(lookup, {
    cacheMs: options.cacheMs ?? 1_000,
    notLiveCacheMs: options.notLiveCacheMs ?? options.cacheMs ?? 1_000,
    staleMs: options.staleMs ?? 300_000,
    maxEntries: options.maxEntries ?? 1_000,
    failoverMs: 10_000,
    now: () => clock.now,
    log: {
      info: (fields, message) => logs.push({ level: 'info', message, fields }),
      warn: (fields, message) => logs.push({ level: 'warn', message, fields }),
    },
  });
  return { lookup, clock, logs, resolver };
}

t.test('caches an answer for cacheMs', async (t) => {
  const { lookup, clock, resolver } = setup({ cacheMs: 1_000 });
  lookup.register('s', 'a:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
  clock.now += 999;
  t.equal(await originOf(resolver, 's'), 'a:1');
  t.equal(lookup.calls.length, 1);
  clock.now += 1;
  await resolver.resolve('s');
  t.equal(lookup.calls.length, 2);
});

t.test('concurrent resolves of one stream share one lookup; other streams do not wait', async (t) => {
  const { lookup, resolver } = setup();
  lookup.register('s', 'a:1');
  lookup.register('u', 'b:1');
  let open!: () => void;
  lookup.gate = new Promise<void>((resolve) => (open = resolve));
  const waiting = Array.from({ length: 50 }, () => resolver.resolve('s'));
  const other = resolver.resolve('u');
  open();
  t.same((await Promise.all(waiting)).map((route) => route.origin), Array(50).fill('a:1'));
  t.equal((await other).origin, 'b:1');
  t.same(lookup.calls, ['s', 'u']);
});

t.test('concurrent resolves share a failure too', async (t) => {
  const { lookup, resolver } = setup();
  lookup.down = true;
  const results = await Promise.allSettled([resolver.resolve('s'), resolver.resolve('s')]);
  t.same(results.map((r) => r.status), ['rejected', 'rejected']);
  t.equal(lookup.calls.length, 1);
});

t.test("follows the API's choice: a stream that moved to another origin is played from there", async (t) => {
  const { lookup, clock, logs, resolver } = setup({ cacheMs: 1_000 });
  lookup.register('s', 'a:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
  lookup.register('s', 'b:1');
  t.equal(await originOf(resolver, 's'), 'a:1', 'the cached route within cacheMs');
  clock.now += 1_000;
  t.equal(await originOf(resolver, 's'), 'b:1', 'then the newest registration, while a:1 is still listed');
  t.match(logs, [{ level: 'info', message: 'the stream moved to another origin: switching', fields: { stream: 's', from: 'a:1', to: 'b:1' } }]);
  lookup.unregister('s', 'b:1');
  clock.now += 1_000;
  t.equal(await originOf(resolver, 's'), 'a:1', 'and back when it is gone');
});

t.test('not live: 404 error, cached, and the origin is forgotten', async (t) => {
  const { lookup, clock, resolver } = setup({ cacheMs: 1_000 });
  lookup.register('s', 'a:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
  lookup.unregister('s', 'a:1');
  // Not listed since API_RECOVERY_MS: no longer a stream merely not reported again yet.
  clock.now += API_RECOVERY_MS;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  await t.rejects(resolver.resolve('s'), { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "s" is not live' });
  t.equal(lookup.calls.length, 2, 'the not-live answer is reused within cacheMs');

  lookup.register('s', 'b:1');
  lookup.register('s', 'a:1');
  clock.now += 1_000;
  t.equal(await originOf(resolver, 's'), 'a:1', 'live again: the preferred origin is chosen afresh');
});

t.test('API down: keeps the last origin within staleMs, warns once, retries after cacheMs', async (t) => {
  const { lookup, clock, logs, resolver } = setup({ cacheMs: 1_000, staleMs: 60_000 });
  lookup.register('s', 'a:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
  lookup.down = true;

  for (let i = 0; i < 10; i++) {
    clock.now += 1_000;
    t.equal(await originOf(resolver, 's'), 'a:1');
  }
  t.equal(lookup.calls.length, 11);
  clock.now += 500;
  await resolver.resolve('s');
  t.equal(lookup.calls.length, 11, 'after a failure the next try waits cacheMs');
  t.equal(logs.filter((l) => l.level === 'warn').length, 1, 'one warning per outage');
  t.match(logs[0], { level: 'warn', fields: { stream: 's', origin: 'a:1' } });

  clock.now = 1_000_000 + 60_001;
  await t.rejects(resolver.resolve('s'), RouteApiUnavailableError);
  await t.rejects(resolver.resolve('s'), { code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE' });
});

t.test('API back: the outage ends and the next outage warns again', async (t) => {
  const { lookup, clock, logs, resolver } = setup({ cacheMs: 0 });
  lookup.register('s', 'a:1');
  await resolver.resolve('s');
  lookup.down = true;
  await resolver.resolve('s');
  lookup.down = false;
  clock.now += 1;
  t.equal(await originOf(resolver, 's'), 'a:1');
  lookup.down = true;
  clock.now += 1;
  await resolver.resolve('s');
  t.same(
    logs.map((l) => `${l.level} ${l.message}`),
    [
      'warn route API unavailable: keeping the last known origin',
      'info route API answers again',
      'warn route API unavailable: keeping the last known origin',
    ],
  );
});

t.test('API down and no known origin: 503 error', async (t) => {
  const { lookup, resolver } = setup();
  lookup.down = true;
  await t.rejects(resolver.resolve('s'), {
    code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE',
    statusCode: 503,
    message: /"s"/,
  });
});

t.test('a stream last seen not live is unknown while the API is down', async (t) => {
  const { lookup, clock, resolver } = setup({ cacheMs: 0 });
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  lookup.down = true;
  clock.now += 1;
  await t.rejects(resolver.resolve('s'), RouteApiUnavailableError);
});

t.test('forgets routes nobody asked for within staleMs', async (t) => {
  const { lookup, clock, logs, resolver } = setup({ cacheMs: 1_000, staleMs: 30_000 });
  lookup.register('old', 'a:1');
  lookup.register('s', 'a:1');
  await resolver.resolve('old');
  clock.now += 30_001;
  await resolver.resolve('s');
  lookup.down = true;
  await t.rejects(resolver.resolve('old'), RouteApiUnavailableError);
  t.notOk(
    logs.some((line) => line.message.includes('too old to use')),
    'nothing was left of the idle route to judge too old: it had been forgotten',
  );
});

t.test('a not-live answer is reused for notLiveCacheMs only, so a starting stream is found quickly', async (t) => {
  const { lookup, clock, resolver } = setup({ cacheMs: 1_000, notLiveCacheMs: 200 });
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  lookup.register('s', 'a:1');
  clock.now += 100;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'still cached');
  clock.now += 100;
  t.equal(await originOf(resolver, 's'), 'a:1', 'asked again after notLiveCacheMs');
  t.equal(lookup.calls.length, 2);
});

t.test('an ended stream resolves until its grace period ends, even while the API is down', async (t) => {
  const { lookup, clock, resolver } = setup({ cacheMs: 1_000 });
  lookup.register('s', 'a:1');
  lookup.endedUntil.set('s', clock.now + 5_000);
  t.match(await resolver.resolve('s'), { origin: 'a:1', ended: true, endsAtMs: clock.now + 5_000 });
  lookup.down = true;
  clock.now += 4_999;
  t.equal(await originOf(resolver, 's'), 'a:1', 'served from the last answer while the API is down');
  clock.now += 1;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'over at the end of the grace period');
});

t.test('the playback policy comes with the route', async (t) => {
  const { lookup, resolver } = setup();
  lookup.register('s', 'a:1');
  lookup.playback.set('s', { requireSignedUrls: true, allowedOrigins: ['*.example.com'] });
  t.same((await resolver.resolve('s')).playback, { requireSignedUrls: true, allowedOrigins: ['*.example.com'] });
});

t.test('a failed origin is left for another listed one, and avoided until the failover time passes', async (t) => {
  const { lookup, clock, logs, resolver } = setup({ cacheMs: 0 });
  lookup.register('s', 'b:1');
  lookup.register('s', 'a:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
  t.equal(resolver.originFailed('s', 'a:1')?.origin, 'b:1', 'switched at once');
  t.match(logs.at(-1), { level: 'warn', fields: { stream: 's', from: 'a:1', to: 'b:1' } });
  clock.now += 1;
  t.equal(await originOf(resolver, 's'), 'b:1', 'the API still prefers a:1, but it failed lately');
  t.equal(resolver.originFailed('s', 'b:1'), undefined, 'no third origin');
  clock.now += 1;
  t.equal(await originOf(resolver, 's'), 'a:1', 'all failed lately: the API choice is tried again');
  clock.now += 10_000;
  lookup.unregister('s', 'b:1');
  t.equal(await originOf(resolver, 's'), 'a:1');
});

t.test('at most maxEntries streams are remembered: random names cannot grow memory', async (t) => {
  const { lookup, resolver } = setup({ maxEntries: 3 });
  lookup.register('kept', 'a:1');
  await resolver.resolve('kept');
  for (const name of ['x1', 'x2', 'x3']) await t.rejects(resolver.resolve(name), StreamNotLiveError);
  t.equal(lookup.calls.length, 4);
  await resolver.resolve('kept');
  t.equal(lookup.calls.length, 5, 'the oldest entry made room and was asked again');
  await t.rejects(resolver.resolve('x3'), StreamNotLiveError);
  t.equal(lookup.calls.length, 5, 'recent entries are still cached');
});
