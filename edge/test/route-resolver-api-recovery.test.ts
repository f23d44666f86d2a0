/**
 * The API can be without streams that are still live until their discovery reports them again:
 * back from an outage longer than its routes' TTL, or at once when its Redis lost the live state
 * (a failover to a replica that lagged, a restart without AOF). Meanwhile its "not live" must not
 * cut the viewers the edge served; its "no such stream" (deleted) must, at once.
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
  clock.now += 29_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'a later "not live" is held from that confirmation on');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'for apiRecoveryMs');
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

t.test('the default hold is API_RECOVERY_MS, from the last confirmation or from the return of the API', async (t) => {
  const { lookup, clock, resolver } = setup();
  lookup.register('s', 'a:1');
  await resolver.resolve('s');
  lookup.unregister('s', 'a:1');
  clock.now += API_RECOVERY_MS - 1;
  t.equal((await resolver.resolve('s')).origin, 'a:1');
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

/** `s` on a:1, confirmed by a viewer's request every second for `confirmedMs`. */
async function confirmed(context: ReturnType<typeof setup>, confirmedMs: number): Promise<void> {
  const { lookup, clock, resolver } = context;
  lookup.register('s', 'a:1');
  for (let waited = 0; waited <= confirmedMs; waited += 1_000) {
    t.equal((await resolver.resolve('s')).origin, 'a:1');
    clock.now += 1_000;
  }
}

t.test('Redis lost the live state: "not live" for a route confirmed lately keeps its origin until the stream is reported again', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, logs, resolver } = context;
  await confirmed(context, 10_000);
  const callsAtLoss = lookup.calls.length;
  lookup.unregister('s', 'a:1');
  for (let i = 0; i < 5; i++) {
    t.equal((await resolver.resolve('s')).origin, 'a:1', `${i} s after the loss: not reported again yet`);
    clock.now += 1_000;
  }
  t.equal(lookup.calls.length, callsAtLoss + 5, 'the API is asked again every cacheMs meanwhile');
  t.same(logs, ['info route API no longer lists a stream it listed lately: keeping its origin while the stream is reported again'], 'logged once');
  lookup.register('s', 'a:1');
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'reported again');
  t.equal(logs.length, 1);

  lookup.unregister('s', 'a:1');
  clock.now += 1_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'lost again: held again');
  t.equal(logs.length, 2, 'and logged again');
});

t.test('a route is held for apiRecoveryMs from its last confirmation, then "not live" stands', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, logs, resolver } = context;
  await confirmed(context, 5_000);
  const confirmedAt = clock.now - 1_000;
  lookup.unregister('s', 'a:1');
  while (clock.now < confirmedAt + 29_000) {
    t.equal((await resolver.resolve('s')).origin, 'a:1');
    clock.now += 1_000;
  }
  clock.now = confirmedAt + 29_500;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'still within apiRecoveryMs');
  clock.now = confirmedAt + 30_000;
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'and that answer reused for cacheMs, as any');
  const calls = lookup.calls.length;
  clock.now = confirmedAt + 30_500;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  t.equal(lookup.calls.length, calls + 1, 'asked again: the hold is over');
  t.equal(logs.at(-1), 'info stream is no longer live: forgetting its origin');
  clock.now += 200;
  lookup.register('s', 'b:1');
  t.equal((await resolver.resolve('s')).origin, 'b:1', 'and a new start is found after notLiveCacheMs, as for any stream');
});

t.test('a route not confirmed within apiRecoveryMs (nobody asked for it) is not held', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, resolver } = context;
  await confirmed(context, 0);
  lookup.unregister('s', 'a:1');
  clock.now += 30_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
});

t.test('a stream that never was live is not live at once', async (t) => {
  const { lookup, resolver } = setup({ apiRecoveryMs: 30_000 });
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  t.same(lookup.calls, ['s']);
});

t.test('a deleted stream is dropped at once: while confirmed, while held, and while the API recovers from an outage', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, logs, resolver } = context;
  await confirmed(context, 2_000);
  lookup.deleted.add('s');
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'while confirmed');
  t.equal(logs.at(-1), 'info stream no longer exists: forgetting its origin');

  lookup.deleted.delete('s');
  clock.now += 1_000;
  await confirmed(context, 2_000);
  lookup.unregister('s', 'a:1');
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'held');
  lookup.deleted.add('s');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'while held');

  lookup.deleted.delete('s');
  clock.now += 1_000;
  await outage(context, 60_000);
  lookup.deleted.add('s');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'the API back from an outage');
  t.equal(logs.at(-1), 'info stream no longer exists: forgetting its origin');
});

t.test('the origin of a held route fails: the route is forgotten, its viewers are told "not live"', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, logs, resolver } = context;
  lookup.register('s', 'b:1');
  await confirmed(context, 2_000);
  lookup.unregister('s', 'a:1');
  lookup.unregister('s', 'b:1');
  t.equal((await resolver.resolve('s')).origin, 'a:1', 'held');
  t.equal(resolver.originFailed('s', 'a:1'), undefined, 'no other origin is tried: the API lists none');
  t.equal(logs.at(-1), 'info the origin of a stream the route API does not list failed: forgetting it');
  await t.rejects(resolver.resolve('s'), StreamNotLiveError);
  clock.now += 200;
  const calls = lookup.calls.length;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'asked again after notLiveCacheMs: nothing left to hold');
  t.equal(lookup.calls.length, calls + 1);
});

t.test('an ended stream held while not listed still ends with its grace period', async (t) => {
  const context = setup({ apiRecoveryMs: 30_000 });
  const { lookup, clock, resolver } = context;
  lookup.register('s', 'a:1');
  lookup.endedUntil.set('s', clock.now + 10_000);
  t.match(await resolver.resolve('s'), { origin: 'a:1', ended: true });
  lookup.unregister('s', 'a:1');
  clock.now += 9_000;
  t.match(await resolver.resolve('s'), { origin: 'a:1', ended: true }, 'its final playlist within the grace period');
  clock.now += 1_000;
  await t.rejects(resolver.resolve('s'), StreamNotLiveError, 'over at its end, though held');
});
