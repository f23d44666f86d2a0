/**
 * Concurrent misses share one origin request, and every waiting viewer gets the bytes as they
 * arrive. The origin is a real HTTP server that sends half a body and then waits for the test,
 * so "before the origin finished" is a state the test holds, not a race; origin requests are
 * counted on the origin's side.
 */
import t from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import { ManualClock, request, type TestEdge } from './fixtures/edge.js';
import { startGatedEdge } from './fixtures/gated-edge.js';
import { scrape, sumOf } from './fixtures/metrics.js';
import { watchRequest, type Viewer } from './fixtures/viewer.js';
import { within } from './fixtures/within.js';

const VIEWERS = 200;
/** A generous bound on outcomes the test waits for; never a measurement. */
const LIMIT_MS = 60_000;
const SEGMENT_PATH = '/golive/100.ts';

/** 512 KiB that differ from byte to byte, so a misplaced or repeated chunk shows. */
const SEGMENT = Buffer.from(Array.from({ length: 512 * 1024 }, (_, i) => (i * 7 + (i >> 8)) % 251));

function playlist(sequence: number): string {
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${sequence}\n#EXTINF:2.000,\n${sequence}.ts\n`;
}

function viewers(edge: TestEdge, path: string, count: number): Viewer[] {
  return Array.from({ length: count }, () => watchRequest(edge.port, path));
}

/** Responses of the edge that have closed, finished or not: a viewer that left shows here. */
function closedResponses(edge: TestEdge): () => number {
  let closed = 0;
  edge.app.server.on('request', (_req, res) => res.once('close', () => closed++));
  return () => closed;
}

t.test('200 concurrent requests for a segment make one origin request; all get the same bytes, late joiners too', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);

  const early = viewers(edge, SEGMENT_PATH, VIEWERS / 2);
  await within('the origin sending half the body', gate.halfSent, LIMIT_MS);
  await within('every early viewer getting bytes while the origin holds the rest', Promise.all(early.map((v) => v.firstBytes)), LIMIT_MS);
  // These join in the middle of the body: they get the recorded half, then follow.
  const late = viewers(edge, SEGMENT_PATH, VIEWERS / 2);
  await within('every late viewer getting the recorded half', Promise.all(late.map((v) => v.firstBytes)), LIMIT_MS);
  t.equal(origin.open(), 1, 'the origin is still holding the one request');
  t.ok([...early, ...late].every((v) => v.received() < SEGMENT.length), 'nobody has the whole body yet');

  gate.release();
  const answers = await within('every answer', Promise.all([...early, ...late].map((v) => v.done)), LIMIT_MS);
  t.same(new Set(answers.map((a) => a.status)), new Set([200]));
  t.equal(answers.filter((a) => a.body.equals(SEGMENT)).length, VIEWERS, 'all 200 got identical, complete bytes');
  t.same(new Set(answers.map((a) => a.headers['x-cache'])), new Set(['MISS']));
  t.equal(origin.count(SEGMENT_PATH), 1, 'exactly one origin request');

  const again = await request(edge.port, SEGMENT_PATH);
  t.equal(again.headers['x-cache'], 'HIT');
  t.ok(again.body.equals(SEGMENT));
  t.equal(origin.count(SEGMENT_PATH), 1, 'and the next viewer is served from the cache');

  const metrics = await scrape(edge.app);
  t.equal(sumOf(metrics, 'edge_cache_requests_total', { kind: 'segment', result: 'miss' }), 1);
  t.equal(sumOf(metrics, 'edge_cache_requests_total', { kind: 'segment', result: 'coalesced' }), VIEWERS - 1);
  t.equal(sumOf(metrics, 'edge_cache_requests_total', { kind: 'segment', result: 'hit' }), 1);
});

t.test('a viewer gets the first bytes before the origin has sent the whole body', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);
  const viewer = watchRequest(edge.port, SEGMENT_PATH);
  await within('the first bytes while the origin holds the second half', viewer.firstBytes, LIMIT_MS);
  t.ok(viewer.received() > 0 && viewer.received() <= SEGMENT.length / 2, `${viewer.received()} bytes so far`);
  gate.release();
  const answer = await within('the whole answer', viewer.done, LIMIT_MS);
  t.ok(answer.body.equals(SEGMENT));
  t.equal(answer.headers['content-length'], String(SEGMENT.length));
});

t.test('200 concurrent requests for a changed playlist make one origin request and get the same new text', async (t) => {
  const clock = new ManualClock();
  const { origin, edge } = await startGatedEdge(t, { now: clock.now });
  origin.serve('/golive/index.m3u8', playlist(7), { contentType: 'application/vnd.apple.mpegurl' });
  t.equal((await request(edge.port, '/golive/index.m3u8')).body.toString(), playlist(7));

  const gate = origin.hold('/golive/index.m3u8', playlist(8), { contentType: 'application/vnd.apple.mpegurl' });
  // Half a target duration (2 s) later the cached playlist is stale.
  clock.advance(1_000);
  const waiting = viewers(edge, '/golive/index.m3u8', VIEWERS);
  await waitFor(
    'every viewer to wait for the one fetch',
    async () => sumOf(await scrape(edge.app), 'edge_cache_requests_total', { kind: 'playlist', result: 'coalesced' }) === VIEWERS - 1,
    { timeoutMs: LIMIT_MS },
  );
  gate.release();
  const answers = await within('every answer', Promise.all(waiting.map((v) => v.done)), LIMIT_MS);
  t.equal(answers.filter((a) => a.status === 200 && a.body.toString() === playlist(8)).length, VIEWERS);
  t.equal(new Set(answers.map((a) => a.headers.etag)).size, 1, 'one ETag');
  t.equal(origin.count('/golive/index.m3u8'), 2, 'one origin request for the first text, one for the change');
});

t.test('a viewer leaving does not cancel the fetch others wait for', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const closed = closedResponses(edge);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);
  const [leaving, staying] = viewers(edge, SEGMENT_PATH, 2) as [Viewer, Viewer];
  await within('both viewers getting bytes', Promise.all([leaving.firstBytes, staying.firstBytes]), LIMIT_MS);
  leaving.leave();
  await waitFor('the edge to see the viewer leave', () => closed() === 1, { timeoutMs: LIMIT_MS });

  gate.release();
  const answer = await within('the staying viewer’s answer', staying.done, LIMIT_MS);
  t.ok(answer.body.equals(SEGMENT), 'the staying viewer got every byte');
  await waitFor('the origin answer to end', () => origin.open() === 0, { timeoutMs: LIMIT_MS });
  t.equal(origin.abandoned(), 0, 'the origin request ran to its end');
  const next = await request(edge.port, SEGMENT_PATH);
  t.equal(next.headers['x-cache'], 'HIT', 'and it filled the cache');
  t.equal(origin.count(SEGMENT_PATH), 1);
});

t.test('the last viewer leaving cancels the origin request; the next viewer starts a new one', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);
  const viewer = watchRequest(edge.port, SEGMENT_PATH);
  await within('the first bytes', viewer.firstBytes, LIMIT_MS);
  viewer.leave();
  await waitFor('the edge to give up the origin request', () => origin.abandoned() === 1, { timeoutMs: LIMIT_MS });

  gate.release();
  origin.serve(SEGMENT_PATH, SEGMENT);
  const next = await request(edge.port, SEGMENT_PATH);
  t.equal(next.status, 200);
  t.equal(next.headers['x-cache'], 'MISS', 'nothing of the abandoned fetch was cached');
  t.ok(next.body.equals(SEGMENT));
  t.equal(origin.count(SEGMENT_PATH), 2);
});

t.test('viewers leaving at random during a coalesced wait leave the others served', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);
  const all = viewers(edge, SEGMENT_PATH, VIEWERS);
  const leaving = all.filter((_, i) => i % 2 === 1);
  const staying = all.filter((_, i) => i % 2 === 0);
  await Promise.all(
    leaving.map(async (v, i) => {
      // Some leave before any byte, some after the first half.
      if (i % 3 === 0) await v.firstBytes;
      else await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      v.leave();
    }),
  );
  await within('the staying viewers getting the first half', Promise.all(staying.map((v) => v.firstBytes)), LIMIT_MS);
  gate.release();
  const answers = await within('the staying viewers’ answers', Promise.all(staying.map((v) => v.done)), LIMIT_MS);
  t.equal(answers.filter((a) => a.body.equals(SEGMENT)).length, staying.length, 'every staying viewer got every byte');
  t.equal(origin.count(SEGMENT_PATH), 1);
  t.equal((await request(edge.port, '/golive/other.ts')).status, 404, 'the edge still serves');
});

t.test('a body cut short cuts its viewers and is not cached', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold(SEGMENT_PATH, SEGMENT);
  const cut = viewers(edge, SEGMENT_PATH, 3);
  await within('the first bytes', Promise.all(cut.map((v) => v.firstBytes)), LIMIT_MS);
  gate.cut();
  for (const viewer of cut) await t.rejects(within('the cut', viewer.done, LIMIT_MS), 'the viewer’s connection is cut');

  origin.serve(SEGMENT_PATH, SEGMENT);
  const next = await request(edge.port, SEGMENT_PATH);
  t.equal(next.headers['x-cache'], 'MISS');
  t.ok(next.body.equals(SEGMENT));
  t.equal(origin.count(SEGMENT_PATH), 2, 'the failed fetch was not cached');
  t.equal(sumOf(await scrape(edge.app), 'edge_origin_fetches_total', { kind: 'segment', outcome: 'truncated' }), 1);
});

t.test('a playlist fetch that fails is a 502 JSON error for every waiter, and is not cached', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  const gate = origin.hold('/golive/index.m3u8', playlist(7), { contentType: 'application/vnd.apple.mpegurl' });
  const waiting = viewers(edge, '/golive/index.m3u8', 3);
  await within('the origin sending half', gate.halfSent, LIMIT_MS);
  await waitFor(
    'every viewer to wait',
    async () => sumOf(await scrape(edge.app), 'edge_cache_requests_total', { kind: 'playlist' }) === 3,
    { timeoutMs: LIMIT_MS },
  );
  gate.cut();
  const answers = await within('the answers', Promise.all(waiting.map((v) => v.done)), LIMIT_MS);
  for (const answer of answers) {
    t.equal(answer.status, 502);
    t.match(JSON.parse(answer.body.toString()), { error: { code: 'LIVE_ERR_ORIGIN_BAD_ANSWER', message: /cut short/ } });
  }
  t.equal(origin.count('/golive/index.m3u8'), 1);

  origin.serve('/golive/index.m3u8', playlist(7));
  t.equal((await request(edge.port, '/golive/index.m3u8')).body.toString(), playlist(7));
  t.equal(origin.count('/golive/index.m3u8'), 2);
});

t.test('an origin error status is a 502 and is not cached', async (t) => {
  const { origin, edge } = await startGatedEdge(t);
  origin.serve(SEGMENT_PATH, 'overloaded', { status: 503, contentType: 'text/plain' });
  for (let i = 0; i < 2; i++) {
    const response = await request(edge.port, SEGMENT_PATH);
    t.equal(response.status, 502);
    t.equal(response.headers['cache-control'], 'no-store');
    t.same(response.json(), {
      error: { code: 'LIVE_ERR_ORIGIN_BAD_ANSWER', message: 'the origin of stream "golive" gave an unusable answer: it answered 503' },
    });
  }
  t.equal(origin.count(SEGMENT_PATH), 2, 'each request asked the origin again');
});

t.test('an object over EDGE_CACHE_MAX_OBJECT_BYTES is streamed through, never kept', async (t) => {
  const { origin, edge } = await startGatedEdge(t, { cache: { maxObjectBytes: 100_000 } });
  origin.serve(SEGMENT_PATH, SEGMENT);
  origin.serve('/golive/chunked.ts', SEGMENT, { chunked: true });
  for (const path of [SEGMENT_PATH, '/golive/chunked.ts']) {
    for (let i = 0; i < 2; i++) {
      const response = await request(edge.port, path);
      t.equal(response.status, 200);
      t.ok(response.body.equals(SEGMENT), `${path}: every byte`);
      t.equal(response.headers['x-cache'], 'MISS');
    }
    t.equal(origin.count(path), 2, `${path}: not cached`);
  }
  const metrics = await scrape(edge.app);
  t.equal(sumOf(metrics, 'edge_origin_fetches_total', { outcome: 'oversize' }), 4);
  t.equal(sumOf(metrics, 'edge_cache_bytes'), 0);
});

t.test('a playlist over EDGE_CACHE_MAX_OBJECT_BYTES is a 502, and its origin request is given up', async (t) => {
  const { origin, edge } = await startGatedEdge(t, { cache: { maxObjectBytes: 100 } });
  const big = `${playlist(7)}${'#EXT-X-COMMENT\n'.repeat(100)}`;
  origin.serve('/golive/index.m3u8', big, { contentType: 'application/vnd.apple.mpegurl' });
  const known = await request(edge.port, '/golive/index.m3u8');
  t.equal(known.status, 502);
  t.match(known.json(), { error: { code: 'LIVE_ERR_ORIGIN_BAD_ANSWER', message: /larger than 100 bytes/ } });

  // Without a Content-Length the size shows as the body arrives: the edge stops reading mid-way.
  const gate = origin.hold('/golive/chunked.m3u8', big, { contentType: 'application/vnd.apple.mpegurl', chunked: true });
  const chunked = await request(edge.port, '/golive/chunked.m3u8');
  t.equal(chunked.status, 502);
  await waitFor('the edge to give up the origin request', () => origin.abandoned() === 1, { timeoutMs: LIMIT_MS });
  gate.release();
  t.equal(sumOf(await scrape(edge.app), 'edge_origin_fetches_total', { kind: 'playlist', outcome: 'oversize' }), 2);
});
