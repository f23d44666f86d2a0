/**
 * Thumbnails through the edge: `/videos/<uid>/thumbnails/thumbnail.jpg` and a live input's
 * `/<stream>/thumbnails/thumbnail.jpg`. The query is checked and made canonical before anything is
 * asked; only `time` and `height` reach the origin; a closed video's picture is kept for good, a
 * changing one as long as the origin's max-age says; the stream's playback policy applies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { VideoLocation } from '../../internal-api/src/video-contract.js';
import { ManualClock, request, startEdge } from './fixtures/edge.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';

const UID = 'a'.repeat(32);
const STREAM = 'abcd1234';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/** An origin answering every thumbnail path with a picture (or what `answer` says), recording what it is asked. */
async function startThumbnailOrigin(t: Test) {
  const asked: string[] = [];
  const state = {
    cacheControl: 'public, max-age=31536000, immutable',
    answer: undefined as undefined | { status: number; body: string },
  };
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    if (state.answer) return res.writeHead(state.answer.status, { 'content-type': 'application/json' }).end(state.answer.body);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': state.cacheControl, 'content-length': JPEG.length }).end(JPEG);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, asked, state };
}

async function setup(t: Test, video: Partial<Omit<VideoLocation, 'origin_host'>> = {}) {
  const origin = await startThumbnailOrigin(t);
  const lookups = { videos: 0 };
  const clock = new ManualClock();
  const routes = new FakeRouteLookup();
  const edge = await startEdge(routes, {
    now: clock.now,
    settings: { routeCacheMs: 1_000, routeNotLiveCacheMs: 500 },
    videoLookup: {
      lookupVideo: async (uid) => {
        lookups.videos += 1;
        return uid === UID ? { stream: STREAM, state: 'ready', require_signed_urls: false, allowed_origins: [], ...video, origin_host: origin.host } : null;
      },
    },
  });
  t.teardown(() => edge.close());
  return { origin, routes, clock, lookups, get: (path: string) => request(edge.port, path) };
}

t.test("a ready video's thumbnail: canonical query to the origin, kept for good", async (t) => {
  const { origin, get } = await setup(t);
  const first = await get(`/videos/${UID}/thumbnails/thumbnail.jpg?height=271&time=1m30s&token=secret&v=2`);
  t.equal(first.status, 200);
  t.same(first.body, JPEG);
  t.equal(first.headers['content-type'], 'image/jpeg');
  t.equal(first.headers['x-cache'], 'MISS');
  t.match(first.headers['cache-control'], /public, max-age=\d+, immutable/);
  t.same(origin.asked, [`/videos/${UID}/thumbnails/thumbnail.jpg?time=90s&height=270`], 'only time and height, canonical: never the token');
  const again = await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=90&height=270`);
  t.equal(again.headers['x-cache'], 'HIT', 'another spelling of the same query is the same picture');
  t.same(again.body, JPEG);
  await get(`/videos/${UID}/thumbnails/thumbnail.jpg`);
  t.same(origin.asked.slice(1), [`/videos/${UID}/thumbnails/thumbnail.jpg?time=0s`], 'defaults: time 0, no height');
});

t.test('a malformed query is 400 before the API or an origin is asked', async (t) => {
  const { origin, lookups, get } = await setup(t);
  const badTime = await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=tomorrow`);
  t.equal(badTime.status, 400);
  t.match(badTime.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_QUERY', message: /time "tomorrow" is not a time/ } });
  const badHeight = await get(`/${STREAM}/thumbnails/thumbnail.jpg?height=2`);
  t.equal(badHeight.status, 400);
  t.match(badHeight.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_QUERY', message: /height "2"/ } });
  t.equal(lookups.videos, 0);
  t.same(origin.asked, []);
  t.equal((await get('/videos/NOT-A-UID/thumbnails/thumbnail.jpg')).status, 400);
  t.equal((await get(`/videos/${'c'.repeat(32)}/thumbnails/thumbnail.jpg`)).status, 404, 'an unknown video');
});

t.test('a video still recorded: reused as long as the origin says', async (t) => {
  const { origin, clock, get } = await setup(t, { state: 'live-inprogress' });
  origin.state.cacheControl = 'public, max-age=2';
  const first = await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=5`);
  t.equal(first.headers['cache-control'], 'public, max-age=2');
  clock.advance(1_500);
  const hit = await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=5`);
  t.equal(hit.headers['x-cache'], 'HIT');
  t.equal(hit.headers['cache-control'], 'public, max-age=1', 'what is left of it');
  clock.advance(600);
  t.equal((await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=5`)).headers['x-cache'], 'MISS', 'asked again once it ran out');
  t.equal(origin.asked.length, 2);
});

t.test('a live input: 204 while nothing is live, then the origin\'s picture, reused briefly', async (t) => {
  const { origin, routes, clock, get } = await setup(t);
  origin.state.cacheControl = 'public, max-age=2';
  const offline = await get(`/${STREAM}/thumbnails/thumbnail.jpg`);
  t.equal(offline.status, 204, 'as the live input\'s playlist');
  routes.deleted.add('gone1234');
  t.equal((await get('/gone1234/thumbnails/thumbnail.jpg')).status, 404, 'a name that is no stream');
  routes.register(STREAM, origin.host);
  clock.advance(501);
  const live = await get(`/${STREAM}/thumbnails/thumbnail.jpg?height=180&time=5`);
  t.equal(live.status, 200);
  t.same(live.body, JPEG);
  t.equal(live.headers['cache-control'], 'public, max-age=2');
  t.same(origin.asked, [`/${STREAM}/thumbnails/thumbnail.jpg?time=5s&height=180`]);
  t.equal((await get(`/${STREAM}/thumbnails/thumbnail.jpg?height=180&time=5`)).headers['x-cache'], 'HIT');
  clock.advance(2_000);
  t.equal((await get(`/${STREAM}/thumbnails/thumbnail.jpg?height=180&time=5`)).headers['x-cache'], 'MISS');
});

t.test('signed playback applies to thumbnails as to the playlist', async (t) => {
  const { origin, get } = await setup(t, { require_signed_urls: true });
  const refused = await get(`/videos/${UID}/thumbnails/thumbnail.jpg`);
  t.equal(refused.status, 401);
  t.match(refused.json(), { error: { code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED' } });
  t.same(origin.asked, []);
});

t.test("the origin's busy answer is relayed with Retry-After and not kept", async (t) => {
  const { origin, get } = await setup(t);
  origin.state.answer = { status: 503, body: JSON.stringify({ error: { code: 'LIVE_ERR_THUMBNAIL_BUSY', message: '8 thumbnails already wait to be made here: retry later' } }) };
  const busy = await get(`/videos/${UID}/thumbnails/thumbnail.jpg`);
  t.equal(busy.status, 503);
  t.equal(busy.headers['retry-after'], '1');
  t.match(busy.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_BUSY' } });
  origin.state.answer = undefined;
  t.equal((await get(`/videos/${UID}/thumbnails/thumbnail.jpg`)).status, 200, 'asked again, answered');
  origin.state.answer = { status: 500, body: JSON.stringify({ error: { code: 'LIVE_ERR_THUMBNAIL_FAILED', message: 'no thumbnail' } }) };
  t.equal((await get(`/videos/${UID}/thumbnails/thumbnail.jpg?time=1`)).status, 502, 'a failure of the origin is a bad answer');
});
