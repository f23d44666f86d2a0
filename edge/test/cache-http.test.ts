/**
 * The cache as viewers and a CDN in front see it: X-Cache and Age, Cache-Control, ETag and 304,
 * Range, HEAD, origin 404s, eviction by bytes, ended playlists and origin switches. Real edge,
 * real origin HTTP server (requests counted on its side); the caches' clock is moved by hand.
 */
import t, { type Test } from 'tap';
import type { EdgeCacheSettings } from '../src/cache-settings.js';
import type { EdgeSettings } from '../src/settings.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';
import { ManualClock, request, startEdge, type TestEdge } from './fixtures/edge.js';
import { startGatedOrigin, type GatedOrigin } from './fixtures/gated-origin.js';

const M3U8 = 'application/vnd.apple.mpegurl';
const SEGMENT = Buffer.from(Array.from({ length: 1_000 }, (_, i) => i % 256));

function playlist(sequence: number, endList = false): string {
  const end = endList ? '#EXT-X-ENDLIST\n' : '';
  return `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${sequence}\n#EXTINF:2.000,\n${sequence}.ts\n${end}`;
}

interface Setup {
  origin: GatedOrigin;
  lookup: FakeRouteLookup;
  edge: TestEdge;
  clock: ManualClock;
}

async function setup(t: Test, cache: Partial<EdgeCacheSettings> = {}, settings: Partial<EdgeSettings> = {}): Promise<Setup> {
  const origin = await startGatedOrigin();
  t.teardown(() => origin.close());
  origin.serve('/golive/index.m3u8', playlist(7), { contentType: M3U8 });
  origin.serve('/golive/7.ts', SEGMENT);
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const clock = new ManualClock();
  const edge = await startEdge(lookup, { cache, settings, now: clock.now });
  t.teardown(() => edge.close());
  return { origin, lookup, edge, clock };
}

t.test('X-Cache and Age on every media answer', async (t) => {
  const { origin, edge, clock } = await setup(t);
  const first = await request(edge.port, '/golive/7.ts');
  t.match(first.headers, { 'x-cache': 'MISS', age: '0', 'access-control-allow-origin': '*' });
  clock.advance(5_400);
  const second = await request(edge.port, '/golive/7.ts');
  t.match(second.headers, { 'x-cache': 'HIT', age: '5', 'cache-control': 'public, max-age=86400, immutable' });
  t.ok(second.body.equals(SEGMENT));
  t.equal(origin.count('/golive/7.ts'), 1);

  const missing = await request(edge.port, '/golive/8.ts');
  t.match(missing.headers, { 'x-cache': 'MISS', age: '0', 'cache-control': 'public, max-age=1' });
  const missingAgain = await request(edge.port, '/golive/8.ts');
  t.equal(missingAgain.status, 404);
  t.match(missingAgain.headers, { 'x-cache': 'HIT' });
});

t.test('a live playlist is reused for half a target duration, then fetched again', async (t) => {
  const { origin, edge, clock } = await setup(t);
  const first = await request(edge.port, '/golive/index.m3u8');
  t.match(first.headers, { 'x-cache': 'MISS', 'cache-control': 'public, max-age=1', 'content-type': M3U8 });
  origin.serve('/golive/index.m3u8', playlist(8), { contentType: M3U8 });

  clock.advance(999);
  const cached = await request(edge.port, '/golive/index.m3u8');
  t.equal(cached.body.toString(), playlist(7), 'the edge does not know of the change yet');
  t.equal(cached.headers['x-cache'], 'HIT');

  clock.advance(1);
  const changed = await request(edge.port, '/golive/index.m3u8');
  t.equal(changed.body.toString(), playlist(8), 'never older than half a target duration');
  t.equal(changed.headers['x-cache'], 'MISS');
  t.not(changed.headers.etag, first.headers.etag, 'a new text, a new ETag');
  t.equal(origin.count('/golive/index.m3u8'), 2);
});

t.test('ETag and If-None-Match: 304 without a body', async (t) => {
  const { origin, edge, clock } = await setup(t);
  const first = await request(edge.port, '/golive/index.m3u8');
  const etag = first.headers.etag ?? '';
  t.match(etag, /^"[A-Za-z0-9_-]{22}"$/, 'a strong validator');

  const hit = await request(edge.port, '/golive/index.m3u8', 'GET', { 'if-none-match': etag });
  t.equal(hit.status, 304);
  t.equal(hit.body.length, 0);
  t.match(hit.headers, { etag, 'x-cache': 'HIT', 'cache-control': 'public, max-age=1' });
  t.equal((await request(edge.port, '/golive/index.m3u8', 'GET', { 'if-none-match': `"other", W/${etag}` })).status, 304);
  t.equal((await request(edge.port, '/golive/index.m3u8', 'GET', { 'if-none-match': '"other"' })).status, 200);

  clock.advance(1_000);
  const unchanged = await request(edge.port, '/golive/index.m3u8', 'GET', { 'if-none-match': etag });
  t.equal(unchanged.status, 304, 'fetched again and unchanged: still 304');
  t.equal(unchanged.headers['x-cache'], 'MISS');

  origin.serve('/golive/index.m3u8', playlist(8), { contentType: M3U8 });
  clock.advance(1_000);
  const changed = await request(edge.port, '/golive/index.m3u8', 'GET', { 'if-none-match': etag });
  t.equal(changed.status, 200);
  t.equal(changed.body.toString(), playlist(8));
});

t.test('Range on segments: 206, 416, and the whole file for several ranges', async (t) => {
  const { origin, edge } = await setup(t);
  const streamed = await request(edge.port, '/golive/7.ts', 'GET', { range: 'bytes=100-199' });
  t.equal(streamed.status, 206, 'a range of a segment still on its way from the origin');
  t.match(streamed.headers, { 'content-range': 'bytes 100-199/1000', 'content-length': '100', 'x-cache': 'MISS' });
  t.ok(streamed.body.equals(SEGMENT.subarray(100, 200)));

  const cached = await request(edge.port, '/golive/7.ts', 'GET', { range: 'bytes=-10' });
  t.equal(cached.status, 206);
  t.match(cached.headers, { 'content-range': 'bytes 990-999/1000', 'content-length': '10', 'x-cache': 'HIT', 'accept-ranges': 'bytes' });
  t.ok(cached.body.equals(SEGMENT.subarray(990)));

  const outside = await request(edge.port, '/golive/7.ts', 'GET', { range: 'bytes=1000-' });
  t.equal(outside.status, 416);
  t.equal(outside.headers['content-range'], 'bytes */1000');
  t.match(outside.json(), { error: { code: 'LIVE_ERR_RANGE_NOT_SATISFIABLE', message: /"bytes=1000-".*1000 bytes/ } });

  const several = await request(edge.port, '/golive/7.ts', 'GET', { range: 'bytes=0-1,5-6' });
  t.equal(several.status, 200);
  t.ok(several.body.equals(SEGMENT));

  const playlistRange = await request(edge.port, '/golive/index.m3u8', 'GET', { range: 'bytes=0-3' });
  t.equal(playlistRange.status, 200, 'playlists are answered whole');
  t.equal(origin.count('/golive/7.ts'), 1);
});

t.test('a range of a segment the edge does not hold yet, past its end, is 416', async (t) => {
  const { edge } = await setup(t);
  const outside = await request(edge.port, '/golive/7.ts', 'GET', { range: 'bytes=5000-' });
  t.equal(outside.status, 416);
  t.equal(outside.headers['content-range'], 'bytes */1000');
  const whole = await request(edge.port, '/golive/7.ts');
  t.equal(whole.headers['x-cache'], 'HIT', 'the fetch still completed into the cache');
});

t.test('HEAD answers the same headers without a body', async (t) => {
  const { origin, edge } = await setup(t);
  const headMiss = await request(edge.port, '/golive/7.ts', 'HEAD');
  t.equal(headMiss.status, 200);
  t.equal(headMiss.body.length, 0);
  t.match(headMiss.headers, { 'content-length': '1000', 'content-type': 'video/mp2t', 'x-cache': 'MISS', 'accept-ranges': 'bytes' });
  const headHit = await request(edge.port, '/golive/7.ts', 'HEAD');
  t.equal(headHit.body.length, 0);
  t.match(headHit.headers, { 'content-length': '1000', 'x-cache': 'HIT' });

  const get = await request(edge.port, '/golive/index.m3u8');
  const headPlaylist = await request(edge.port, '/golive/index.m3u8', 'HEAD');
  t.equal(headPlaylist.body.length, 0);
  t.match(headPlaylist.headers, { etag: get.headers.etag, 'content-length': String(get.body.length), 'x-cache': 'HIT' });
  t.same(
    origin.requests.map((r) => `${r.method} ${r.url}`),
    ['GET /golive/7.ts', 'GET /golive/index.m3u8'],
  );
});

t.test('origin 404s are reused for EDGE_NOT_FOUND_CACHE_MS, and only so many are kept', async (t) => {
  const { origin, edge, clock } = await setup(t, { notFoundCacheEntries: 2 });
  t.equal((await request(edge.port, '/golive/1.ts')).status, 404);
  t.equal((await request(edge.port, '/golive/1.ts')).status, 404);
  t.equal(origin.count('/golive/1.ts'), 1, 'the second 404 came from the cache');
  clock.advance(1_001);
  await request(edge.port, '/golive/1.ts');
  t.equal(origin.count('/golive/1.ts'), 2, 'and is asked again after 1 s');

  await request(edge.port, '/golive/2.ts');
  await request(edge.port, '/golive/3.ts');
  await request(edge.port, '/golive/1.ts');
  t.equal(origin.count('/golive/1.ts'), 3, 'two 404s kept at most: the oldest was dropped');

  origin.serve('/golive/9.ts', SEGMENT);
  clock.advance(1_001);
  const appeared = await request(edge.port, '/golive/9.ts');
  t.equal(appeared.status, 200, 'a file that appears is served once the 404 expired');
});

t.test('segments are evicted by bytes, least recently used first', async (t) => {
  const { origin, edge } = await setup(t, { maxBytes: 2_500 });
  for (const n of [1, 2, 3]) origin.serve(`/golive/${n}.ts`, SEGMENT);
  for (const n of [1, 2, 1, 3]) await request(edge.port, `/golive/${n}.ts`);
  t.same([1, 2, 3].map((n) => origin.count(`/golive/${n}.ts`)), [1, 1, 1]);
  t.equal((await request(edge.port, '/golive/1.ts')).headers['x-cache'], 'HIT', 'used recently: kept');
  t.equal((await request(edge.port, '/golive/2.ts')).headers['x-cache'], 'MISS', 'the least recently used went');
  t.equal(origin.count('/golive/2.ts'), 2);
});

t.test('an ended stream\'s final playlist is kept until the grace end, then the edge answers 204', async (t) => {
  const { origin, lookup, edge, clock } = await setup(t);
  lookup.endedUntil.set('golive', clock.now() + 60_000);
  origin.serve('/golive/index.m3u8', playlist(7, true), { contentType: M3U8 });
  const first = await request(edge.port, '/golive/index.m3u8');
  t.equal(first.body.toString(), playlist(7, true));
  t.equal(first.headers['cache-control'], 'public, max-age=10', 'a little longer than a live playlist');

  origin.serve('/golive/index.m3u8', 'changed at the origin', { contentType: M3U8 });
  clock.advance(55_000);
  const late = await request(edge.port, '/golive/index.m3u8');
  t.equal(late.body.toString(), playlist(7, true), 'still the cached final playlist');
  t.match(late.headers, { 'x-cache': 'HIT', age: '55', 'cache-control': 'public, max-age=5' });
  t.equal(origin.count('/golive/index.m3u8'), 1);

  clock.advance(5_000);
  const over = await request(edge.port, '/golive/index.m3u8');
  t.equal(over.status, 204, 'over: the stream has nothing live (seed 004)');
  t.equal(over.body.length, 0);
});

t.test('a final playlist is not served once the stream is live again', async (t) => {
  const { origin, lookup, edge, clock } = await setup(t);
  lookup.endedUntil.set('golive', clock.now() + 60_000);
  origin.serve('/golive/index.m3u8', playlist(7, true), { contentType: M3U8 });
  t.equal((await request(edge.port, '/golive/index.m3u8')).body.toString(), playlist(7, true));

  // The publisher is back within the grace period.
  lookup.endedUntil.delete('golive');
  origin.serve('/golive/index.m3u8', playlist(8), { contentType: M3U8 });
  clock.advance(1_001);
  const live = await request(edge.port, '/golive/index.m3u8');
  t.equal(live.body.toString(), playlist(8));
  t.equal(live.headers['cache-control'], 'public, max-age=1');
});

t.test('after an origin switch nothing of the other origin is served', async (t) => {
  const { origin, lookup, edge } = await setup(t, {}, { routeCacheMs: 0 });
  const other = await startGatedOrigin();
  t.teardown(() => other.close());
  const otherSegment = Buffer.alloc(SEGMENT.length, 0x47);
  other.serve('/golive/7.ts', otherSegment);

  t.ok((await request(edge.port, '/golive/7.ts')).body.equals(SEGMENT));
  lookup.register('golive', other.host);
  lookup.unregister('golive', origin.host);
  const switched = await request(edge.port, '/golive/7.ts');
  t.ok(switched.body.equals(otherSegment), 'the new origin\'s bytes');
  t.equal(switched.headers['x-cache'], 'MISS');
  t.equal(other.count('/golive/7.ts'), 1);
});

t.test('after a failover the object is kept under the origin that answered', async (t) => {
  const { origin, lookup, edge } = await setup(t);
  const other = await startGatedOrigin();
  t.teardown(() => other.close());
  const otherSegment = Buffer.alloc(SEGMENT.length, 0x47);
  other.serve('/golive/7.ts', otherSegment);
  // The API lists both; the edge sticks to the first, which then stops answering.
  lookup.register('golive', other.host);
  lookup.register('golive', origin.host);
  await origin.close();

  const failedOver = await request(edge.port, '/golive/7.ts');
  t.equal(failedOver.status, 200);
  t.ok(failedOver.body.equals(otherSegment), 'served by the other origin');
  const again = await request(edge.port, '/golive/7.ts');
  t.equal(again.headers['x-cache'], 'HIT', 'now the route names the other origin, whose copy is cached');
  t.equal(other.count('/golive/7.ts'), 1);
});
