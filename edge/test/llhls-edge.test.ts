/**
 * LL-HLS through the edge: blocking `ll.m3u8` requests keyed and coalesced by their canonical
 * delivery directives (and nothing else of the query reaches the origin), hinted parts held by the
 * origin coalesced into one request, parts cached, malformed directives refused at the edge, and
 * playback tokens carried into every URI of the LL playlist. The origin is a real HTTP server that
 * holds requests for what does not exist yet until the test serves it, as the LL-HLS origin does.
 */
import t from 'tap';
import { signPlaybackToken } from '../../playback-token/src/playback-token.js';
import { waitFor } from '../../test-support/wait-for.js';
import { ManualClock, request, type TestEdge } from './fixtures/edge.js';
import { startGatedEdge } from './fixtures/gated-edge.js';
import { scrape, sumOf } from './fixtures/metrics.js';
import { watchRequest } from './fixtures/viewer.js';
import { within } from './fixtures/within.js';

const VIEWERS = 200;
/** A generous bound on outcomes the test waits for; never a measurement. */
const LIMIT_MS = 60_000;
const PLAYLIST_PATH = '/golive/ll.m3u8';
const PLAYLIST_TYPE = { contentType: 'application/vnd.apple.mpegurl' };
/** What the origin says of a blocking answer (origin/src/http/llhls-routes.ts). */
const BLOCKING = { ...PLAYLIST_TYPE, cacheControl: 'public, max-age=1' };
const PLAIN = { ...PLAYLIST_TYPE, cacheControl: 'no-cache' };
const MEDIA = { contentType: 'video/iso.segment', cacheControl: 'public, max-age=31536000, immutable' };
const SIGNING_KEY = 'edge-test-signing-key-0123456789abcdef';

/** An LL-HLS playlist as the origin writes it: parts of 0.334 s, every tag that names a URI. */
function llPlaylist(lastPart: number): string {
  const parts = Array.from({ length: lastPart + 1 }, (_, i) => `#EXT-X-PART:DURATION=0.334,URI="5.${i}.m4s"${i === 0 ? ',INDEPENDENT=YES' : ''}`);
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,CAN-SKIP-UNTIL=12',
    '#EXT-X-PART-INF:PART-TARGET=0.334',
    '#EXT-X-MEDIA-SEQUENCE:4',
    '#EXT-X-MAP:URI="init-4.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T12:00:00.000Z',
    '#EXTINF:2.000,',
    '4.m4s',
    ...parts,
    `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="5.${lastPart + 1}.m4s"`,
    '#EXT-X-RENDITION-REPORT:URI="../other/ll.m3u8",LAST-MSN=5,LAST-PART=1',
    '',
  ].join('\n');
}

/** Bytes of one part (a stand-in: the edge never looks inside). */
const PART = Buffer.from(Array.from({ length: 4_000 }, (_, i) => (i * 13) % 251));

/** The edge's cache requests of `kind` with `result` so far. */
async function cacheRequests(edge: TestEdge, kind: string, result: string): Promise<number> {
  return sumOf(await scrape(edge.app), 'edge_cache_requests_total', { kind, result });
}

t.test('200 concurrent identical blocking requests: one origin request with only the directives, 200 identical answers', async (t) => {
  const { origin, edge } = await startGatedEdge(t, { now: new ManualClock().now });
  origin.pending(PLAYLIST_PATH);
  // The same directives, spelled two ways and with other parameters the origin must never see.
  const paths = [`${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=2&session=abc`, `${PLAYLIST_PATH}?utm=x&_HLS_part=2&_HLS_msn=5`];
  const viewers = Array.from({ length: VIEWERS }, (_, i) => watchRequest(edge.port, paths[i % 2]!));
  await waitFor('every viewer to wait for the one fetch', async () => (await cacheRequests(edge, 'playlist', 'coalesced')) === VIEWERS - 1, {
    timeoutMs: LIMIT_MS,
  });
  t.equal(origin.open(), 1, 'the origin holds one blocked request');

  origin.serve(PLAYLIST_PATH, llPlaylist(2), BLOCKING);
  const answers = await within('every answer', Promise.all(viewers.map((v) => v.done)), LIMIT_MS);
  t.equal(answers.filter((a) => a.status === 200 && a.body.toString() === llPlaylist(2)).length, VIEWERS, '200 identical answers');
  t.equal(new Set(answers.map((a) => a.headers.etag)).size, 1, 'one ETag');
  t.same(
    origin.requests.map((r) => r.url),
    [`${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=2`],
    'exactly one origin request, carrying the canonical directives and nothing else',
  );

  const again = await request(edge.port, `${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=2`);
  t.equal(again.headers['x-cache'], 'HIT', 'the blocking answer is reused for the same directives');
  t.equal(again.headers['cache-control'], 'public, max-age=1', "as long as the origin's max-age says, which is passed on");
  t.equal(origin.requests.length, 1);
});

t.test('different directives are different origin requests; the plain playlist is another', async (t) => {
  const { origin, edge } = await startGatedEdge(t, { now: new ManualClock().now });
  origin.serve(PLAYLIST_PATH, llPlaylist(3), BLOCKING);
  const queries = ['_HLS_msn=5&_HLS_part=2', '_HLS_msn=5&_HLS_part=3', '_HLS_msn=6', '_HLS_msn=5&_HLS_part=3&_HLS_skip=YES'];
  for (const query of queries) {
    const answer = await request(edge.port, `${PLAYLIST_PATH}?${query}&token=ignored-for-an-open-stream`);
    t.equal(answer.status, 200, query);
    t.equal(answer.headers['x-cache'], 'MISS', query);
  }
  origin.serve(PLAYLIST_PATH, llPlaylist(3), PLAIN);
  const plain = await request(edge.port, `${PLAYLIST_PATH}?token=x&_HLS_foo=1`);
  t.equal(plain.headers['x-cache'], 'MISS');
  t.same(
    origin.requests.map((r) => r.url),
    [...queries.map((query) => `${PLAYLIST_PATH}?${query}`), PLAYLIST_PATH],
    'one origin request per distinct set of directives; no other parameter reaches the origin',
  );
});

t.test("an ABR variant's LL playlist (`<variant>-ll.m3u8`) is blocking too: its directives reach the origin, its parts are LL media", async (t) => {
  const { origin, edge } = await startGatedEdge(t, { now: new ManualClock().now });
  const path = '/golive/360p-ll.m3u8';
  origin.serve(path, llPlaylist(3).replaceAll('URI="', 'URI="360p-'), BLOCKING);
  const answer = await request(edge.port, `${path}?_HLS_part=2&token=x&_HLS_msn=5`);
  t.equal(answer.status, 200);
  t.same(origin.requests.map((r) => r.url), [`${path}?_HLS_msn=5&_HLS_part=2`], 'only the canonical directives reach the origin');
  const malformed = await request(edge.port, '/golive/source-ll.m3u8?_HLS_msn=x');
  t.equal(malformed.status, 400, 'malformed directives are refused at the edge for a variant too');
  t.equal(origin.requests.length, 1, 'without asking the origin');
});

t.test('a plain ll.m3u8 is reused for half a PART-TARGET, and a CDN is told to revalidate', async (t) => {
  const clock = new ManualClock();
  const { origin, edge } = await startGatedEdge(t, { now: clock.now });
  origin.serve(PLAYLIST_PATH, llPlaylist(1), PLAIN);
  const first = await request(edge.port, PLAYLIST_PATH);
  t.equal(first.headers['cache-control'], 'no-cache');
  t.ok(first.headers.etag, 'an ETag to revalidate with');
  clock.advance(166);
  t.equal((await request(edge.port, PLAYLIST_PATH)).headers['x-cache'], 'HIT', 'within half of 0.334 s');
  const revalidated = await request(edge.port, PLAYLIST_PATH, 'GET', { 'if-none-match': first.headers.etag });
  t.equal(revalidated.status, 304);
  clock.advance(1);
  origin.serve(PLAYLIST_PATH, llPlaylist(2), PLAIN);
  const next = await request(edge.port, PLAYLIST_PATH);
  t.equal(next.headers['x-cache'], 'MISS', 'half a part target later it is fetched again');
  t.equal(next.body.toString(), llPlaylist(2));
  t.equal(origin.count(PLAYLIST_PATH), 2);
});

t.test('200 concurrent requests for the hinted part before it exists: one origin request, all get its bytes; then cached', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const partPath = '/golive/5.3.m4s';
  origin.pending(partPath);
  const viewers = Array.from({ length: VIEWERS }, () => watchRequest(edge.port, partPath));
  await waitFor('every viewer to wait for the one fetch', async () => (await cacheRequests(edge, 'segment', 'coalesced')) === VIEWERS - 1, {
    timeoutMs: LIMIT_MS,
  });
  t.equal(origin.open(), 1, 'the origin holds one request for the part');

  origin.serve(partPath, PART, MEDIA);
  const answers = await within('every answer', Promise.all(viewers.map((v) => v.done)), LIMIT_MS);
  t.equal(answers.filter((a) => a.status === 200 && a.body.equals(PART)).length, VIEWERS, "all got the part's bytes");
  t.equal(origin.count(partPath), 1, 'exactly one origin request');

  const again = await request(edge.port, partPath);
  t.equal(again.headers['x-cache'], 'HIT');
  t.ok(again.body.equals(PART));
  t.match(again.headers['cache-control'], /immutable/);
  t.equal(origin.count(partPath), 1, 'the next viewer is served from the cache');
});

t.test('segments and init sections are cached like TS segments; an early 404 of a part is not remembered', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  for (const [path, type] of [['/golive/4.m4s', 'video/iso.segment'], ['/golive/init-4.mp4', 'video/mp4']] as const) {
    origin.serve(path, PART, { ...MEDIA, contentType: type });
    t.equal((await request(edge.port, path)).headers['x-cache'], 'MISS', path);
    const hit = await request(edge.port, path);
    t.equal(hit.headers['x-cache'], 'HIT', path);
    t.equal(hit.headers['content-type'], type, path);
    t.equal(origin.count(path), 1, path);
  }
  const early = await request(edge.port, '/golive/6.0.m4s');
  t.equal(early.status, 404, 'asked for before the origin lists it');
  origin.serve('/golive/6.0.m4s', PART, MEDIA);
  const later = await request(edge.port, '/golive/6.0.m4s');
  t.equal(later.status, 200, 'a moment later it is fetched, not answered from a remembered 404');
  t.ok(later.body.equals(PART));
});

t.test('malformed delivery directives: 400 at the edge, no origin request, no route lookup', async (t) => {
  const { origin, edge, lookup } = await startGatedEdge(t);
  origin.serve(PLAYLIST_PATH, llPlaylist(1), BLOCKING);
  for (const query of ['_HLS_msn=abc', '_HLS_msn=5&_HLS_part=-1', '_HLS_msn=1&_HLS_msn=2', '_HLS_msn=5&_HLS_skip=YES&_HLS_skip=v2']) {
    const answer = await request(edge.port, `${PLAYLIST_PATH}?${query}`);
    t.equal(answer.status, 400, query);
    t.match(answer.json(), { error: { code: 'LIVE_ERR_DELIVERY_DIRECTIVE', message: /golive/ } }, query);
    t.equal(answer.headers['content-type'], 'application/json; charset=utf-8', query);
  }
  t.equal(origin.requests.length, 0, 'no origin request');
  t.equal(lookup.calls.length, 0, 'no route lookup either');
  const metrics = await scrape(edge.app);
  t.equal(sumOf(metrics, 'edge_requests_total', { kind: 'playlist', status: '400' }), 4, 'counted as playlist requests answered 400');
});

t.test('signed URLs: the token is required for LL files and carried into every URI of ll.m3u8, never to the origin', async (t) => {
  const { origin, edge, lookup } = await startGatedEdge(t, { settings: { playbackSigningKey: SIGNING_KEY } });
  lookup.playback.set('golive', { requireSignedUrls: true, allowedOrigins: [] });
  const now = Date.now();
  const token = signPlaybackToken({ streamId: 'golive', issuedAtMs: now - 1_000, expiresAtMs: now + 3_600_000 }, SIGNING_KEY);
  origin.serve(PLAYLIST_PATH, llPlaylist(1), BLOCKING);
  origin.serve('/golive/5.1.m4s', PART, MEDIA);

  for (const path of [`${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=1`, '/golive/5.1.m4s']) {
    const refused = await request(edge.port, path);
    t.equal(refused.status, 401, `${path} without a token`);
    t.match(refused.json(), { error: { code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED' } });
  }
  const answer = await request(edge.port, `${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=1&token=${token}`);
  t.equal(answer.status, 200);
  const text = answer.body.toString();
  const carried = `token=${encodeURIComponent(token)}`;
  for (const tag of ['EXT-X-MAP', 'EXT-X-PART', 'EXT-X-PRELOAD-HINT', 'EXT-X-RENDITION-REPORT']) {
    const lines = text.split('\n').filter((line) => line.startsWith(`#${tag}:`));
    t.ok(lines.length > 0, `${tag} is in the playlist`);
    t.ok(
      lines.every((line) => new RegExp(`URI="[^"?]+\\?${carried.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(line)),
      `every ${tag} URI carries the token`,
    );
  }
  t.ok(text.includes(`\n4.m4s?${carried}\n`), 'the segment line carries it too');
  const part = await request(edge.port, `/golive/5.1.m4s?${carried}`);
  t.equal(part.status, 200, 'the rewritten part URI plays');
  t.ok(part.body.equals(PART));
  t.notOk(
    origin.requests.some((r) => r.url.includes('token')),
    'the token never reaches the origin',
  );
});

t.test("the origin's LL-HLS refusals reach every waiting viewer as they are, from one origin request; other errors stay 502", async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const refusal = (code: string, message: string) => JSON.stringify({ error: { code, message } });
  const json = { contentType: 'application/json; charset=utf-8' };

  origin.pending(PLAYLIST_PATH);
  const waiting = Array.from({ length: 20 }, () => watchRequest(edge.port, `${PLAYLIST_PATH}?_HLS_msn=9&_HLS_part=0`));
  await waitFor('every viewer to wait for the one fetch', async () => (await cacheRequests(edge, 'playlist', 'coalesced')) === 19, {
    timeoutMs: LIMIT_MS,
  });
  origin.serve(PLAYLIST_PATH, refusal('LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT', 'golive/ll.m3u8 did not get the requested part within 6 s'), {
    ...json,
    status: 503,
  });
  const answers = await within('every answer', Promise.all(waiting.map((v) => v.done)), LIMIT_MS);
  t.ok(answers.every((a) => a.status === 503), 'all 503');
  t.match(JSON.parse(answers[0]!.body.toString()), { error: { code: 'LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT', message: /within 6 s/ } });
  t.equal(origin.count(PLAYLIST_PATH), 1, 'one origin request');

  origin.serve(PLAYLIST_PATH, refusal('LIVE_ERR_DELIVERY_DIRECTIVE', '_HLS_msn=99 is 2 segments past the last one'), { ...json, status: 400 });
  const tooFar = await request(edge.port, `${PLAYLIST_PATH}?_HLS_msn=99`);
  t.equal(tooFar.status, 400);
  t.match(tooFar.json(), { error: { code: 'LIVE_ERR_DELIVERY_DIRECTIVE', message: /past the last one/ } });
  const again = await request(edge.port, `${PLAYLIST_PATH}?_HLS_msn=99`);
  t.equal(again.status, 400);
  t.equal(origin.count(PLAYLIST_PATH), 3, 'a refusal is not cached');

  origin.serve('/golive/7.0.m4s', refusal('LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT', 'golive/7.0.m4s did not come'), { ...json, status: 503 });
  t.equal((await request(edge.port, '/golive/7.0.m4s')).status, 503, 'a hinted part that did not come: 503 too');

  for (const [status, body] of [[500, refusal('LIVE_ERR_INTERNAL', 'internal error')], [503, 'not json'], [400, refusal('LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT', 'wrong status')]] as const) {
    origin.serve(PLAYLIST_PATH, body, { ...json, status });
    const answer = await request(edge.port, `${PLAYLIST_PATH}?_HLS_msn=1`);
    t.equal(answer.status, 502, `${status} ${body}: the origin's own failure`);
    t.match(answer.json(), { error: { code: 'LIVE_ERR_ORIGIN_BAD_ANSWER' } });
  }
});

t.test('a request the origin holds waits UPSTREAM_BLOCKING_TIMEOUT_MS for its headers, not UPSTREAM_TIMEOUT_MS', async (t) => {
  const { origin, edge } = await startGatedEdge(t, { settings: { upstreamTimeoutMs: 100, upstreamBlockingTimeoutMs: LIMIT_MS } });
  origin.pending(PLAYLIST_PATH);
  origin.pending('/golive/5.3.m4s');
  origin.pending('/golive/index.m3u8');
  const blocked = watchRequest(edge.port, `${PLAYLIST_PATH}?_HLS_msn=5&_HLS_part=3`);
  const hinted = watchRequest(edge.port, '/golive/5.3.m4s');
  await waitFor('both held by the origin', () => origin.open() === 2, { timeoutMs: LIMIT_MS });
  // Started after them, held the same way, and given up after UPSTREAM_TIMEOUT_MS: by then the
  // held requests have waited longer than that too.
  const plain = await request(edge.port, '/golive/index.m3u8');
  t.equal(plain.status, 504, 'an ordinary request times out');
  origin.serve(PLAYLIST_PATH, llPlaylist(3), BLOCKING);
  origin.serve('/golive/5.3.m4s', PART, MEDIA);
  const [playlist, part] = await within('the held answers', Promise.all([blocked.done, hinted.done]), LIMIT_MS);
  t.equal(playlist.status, 200, 'the blocking playlist request still got its answer');
  t.equal(part.status, 200, 'and so did the hinted part');
  t.ok(part.body.equals(PART));
});
