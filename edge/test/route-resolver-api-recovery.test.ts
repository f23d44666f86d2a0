/**
 * The API back from an outage longer than its routes' TTL does not list the streams that stayed
 * live until their discovery reports them again: meanwhile its "not live" must not cut the viewers
 * the edge served through the outage.
 */
import t from 'tap';
import { StreamNotLiveError } from '../src/errors.js';
import { API_RECOVERY_MS, RouteResolver } from '../src/route-resolver.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';

function setup(options: { staleMs?: number; apiRecoveryMs?: number } = {}) {
  const lookup = new FakeRouteLookup();
  const clock = { now: 1_000_000 };
  const logs: string[] = [];
  const resolver = new RouteResolver(lookup, {
    cacheMs: 1_000,
    notLiveCacheMs: 200,
    staleMs: options.staleMs ?? 900_000,
    maxEntries: 1_000,
    failoverMs: 10_000,
    apiRecoveryMs: options.apiRecoveryMs,
    now: () => clock.now,
    log: {
      info: (_fields, message) => logs.push(`info ${message}`),
      warn: (_fields, message) => logs.push(`warn ${message}`),
    },
  });
  return { lookup, clock, logs, resolver };
}

/** `s` on a:1, then the API down for `outageMs` (asked every second meanwhile), then back without the route. */
async function outage(context: ReturnType<typeof setup>, outageMs: number): Promise<void> {
  const { lookup, clock, resolver } = context;
  lookup.register('s', 'a:1');
  await resolver.resolve('s');
  lookup.down = true;
  lookup.unregister('s', 'a:1');
  for (let waited = 0; waited < outageMs; waited += 1_000) {
    clock.now += 1_000;
    await resolver.resolve('s');
  }
  lookup.down = false;
}

t.test('the API back without the route: its origin is kept, the API asked every cacheMs, until the stream is reported again', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, logs, resolver } = context;
  await outage(context, 300_000);
  const callsAtReturn = lookup.calls.length;
  for (let i = 0; i < 5; i++) {
    clock.now += 1_000;
    t.equal((await resolver.resolve('s')).origin, 'a:1', `${i + 1} s after the API is back`);
  }
  t.equal(lookup.calls.length, callsAtReturn + 5, 'the API is asked again every cacheMs');
  lookup.register('s', 'a:1');
  clock.now += 1_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'reported again');
  t.same(logs, [
    'warn route API unavailable: keeping the last known origin',
    'info route API answers again',
    'info route API is back but does not list the stream yet: keeping its origin while streams are reported again',
  ]);

  lookup.unregister('s', 'a:1');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'once confirmed, a later "not live" stands at once');
});

t.test('a stream still not listed apiRecoveryMs after the API is back is not live', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { clock, logs, resolver } = context;
  await outage(context, 60_000);
  clock.now += 1_000;
  const backAt = clock.now;
  t.equal((await resolver.resolve('s')).origin, 'a:1');
  while (clock.now < backAt + 29_000) {
    clock.now += 1_000;
    t.equal((await resolver.resolve('s')).origin, 'a:1');
  }
  clock.now = backAt + 30_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  t.equal(logs.at(-1), 'info stream is no longer live: forgetting its origin');
});

t.test('the API failing again while it recovers: a new outage, a new recovery', async (t) => {
  const context = setup({ apiRecoveryMs: 10_000 });
  const { lookup, clock, resolver } = context;
  await outage(context, 60_000);
  clock.now += 8_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1');
  lookup.down = true;
  clock.now += 5_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'down again: the stale route');
  lookup.down = false;
  clock.now += 5_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'back again: recovering from this return');
  clock.now += 9_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
});

t.test('a route past the stale window is not kept after the outage', async (t) => {
  const context = setup({ staleMs: 20_000 });
  const { clock, resolver } = context;
  await outage(context, 20_000);
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
});

t.test('without an outage "not live" stands at once; the default recovery is API_RECOVERY_MS', async (t) => {
  const { lookup, clock, resolver } = setup();
  lookup.register('s', 'a:1');
  await resolver.resolve('s');
  lookup.unregister('s', 'a:1');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);

  const context = setup();
  await outage(context, 60_000);
  context.clock.now += 1_000;
  const backAt = context.clock.now;
  await context.resolver.resolve('s');
  context.clock.now = backAt + API_RECOVERY_MS - 1_000;
  t.equal((await context.resolver.resolve('s')).origin, 'a:1');
  context.clock.now = backAt + API_RECOVERY_MS;
  await t.rejects(context.resolver.resolve('s'), StreamNotLiveError);
});
