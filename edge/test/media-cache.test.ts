import t from 'tap';
import { MediaCache, type CachedMedia } from '../src/media-cache.js';
import { ManualClock } from './fixtures/edge.js';

function media(bytes: number, storedAtMs = 0): CachedMedia {
  return { body: Buffer.alloc(bytes, 0x47), contentType: 'video/mp2t', etag: undefined, storedAtMs, playlist: undefined };
}

function cacheOf(clock: ManualClock, overrides: Partial<ConstructorParameters<typeof MediaCache>[0]> = {}): MediaCache {
  return new MediaCache({ maxBytes: 1_000, maxObjectBytes: 600, notFoundMs: 1_000, notFoundEntries: 3, now: clock.now, ...overrides });
}

t.test('evicts the least recently used bodies once the bytes are over the bound', async (t) => {
  const cache = cacheOf(new ManualClock());
  cache.put('o/s/1.ts', media(400), undefined);
  cache.put('o/s/2.ts', media(400), undefined);
  t.equal(cache.bytes(), 800);
  t.ok(cache.get('o/s/1.ts'), '1.ts is now the most recently used');
  cache.put('o/s/3.ts', media(400), undefined);
  t.ok(cache.get('o/s/1.ts'));
  t.notOk(cache.get('o/s/2.ts'), 'the least recently used went');
  t.ok(cache.get('o/s/3.ts'));
  t.equal(cache.bytes(), 800);
  t.equal(cache.entries(), 2);
});

t.test('refuses a body over the object bound', async (t) => {
  const cache = cacheOf(new ManualClock());
  cache.put('o/s/big.ts', media(601), undefined);
  t.notOk(cache.get('o/s/big.ts'));
  t.equal(cache.bytes(), 0);
});

t.test('an entry with a lifetime expires on the clock', async (t) => {
  const clock = new ManualClock();
  const cache = cacheOf(clock);
  cache.put('o/s/index.m3u8', media(10), 1_000);
  cache.put('o/s/1.ts', media(10), undefined);
  clock.advance(1_000);
  t.ok(cache.get('o/s/index.m3u8'));
  clock.advance(1);
  t.notOk(cache.get('o/s/index.m3u8'), 'gone after its lifetime');
  clock.advance(86_400_000);
  t.ok(cache.get('o/s/1.ts'), 'a segment stays until evicted');
});

t.test('404s are kept briefly and bounded in count', async (t) => {
  const clock = new ManualClock();
  const cache = cacheOf(clock);
  for (let i = 0; i < 5; i++) cache.putNotFound(`o/s/${i}.ts`);
  t.equal(cache.notFoundEntries(), 3, 'at most EDGE_NOT_FOUND_CACHE_ENTRIES');
  t.notOk(cache.isNotFound('o/s/0.ts'), 'the oldest went first');
  t.ok(cache.isNotFound('o/s/4.ts'));
  clock.advance(1_000);
  t.ok(cache.isNotFound('o/s/4.ts'));
  clock.advance(1);
  t.notOk(cache.isNotFound('o/s/4.ts'), 'and each for EDGE_NOT_FOUND_CACHE_MS');
});

t.test('a 404 replaces the body and a body replaces the 404', async (t) => {
  const cache = cacheOf(new ManualClock());
  cache.put('o/s/1.ts', media(10), undefined);
  cache.putNotFound('o/s/1.ts');
  t.notOk(cache.get('o/s/1.ts'));
  t.ok(cache.isNotFound('o/s/1.ts'));
  cache.put('o/s/1.ts', media(10), undefined);
  t.notOk(cache.isNotFound('o/s/1.ts'));
  t.ok(cache.get('o/s/1.ts'));
});

t.test('EDGE_NOT_FOUND_CACHE_MS=0 keeps no 404', async (t) => {
  const cache = cacheOf(new ManualClock(), { notFoundMs: 0 });
  cache.putNotFound('o/s/1.ts');
  t.notOk(cache.isNotFound('o/s/1.ts'));
});
