/**
 * Recorded videos through the edge (issue 12): `/videos/<uid>/…` from the origin the API names,
 * under the recorded stream's playback policy, cached for good once ready; the live input's 204
 * and `/<id>/lifecycle` (seed 004).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { signPlaybackToken } from '../../playback-token/src/playback-token.js';
import type { VideoLocation } from '../../internal-api/src/video-contract.js';
import { ManualClock, request, startEdge } from './fixtures/edge.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';
import { startOrigin } from './fixtures/origin-server.js';

const UID = 'a'.repeat(32);
const STREAM = 'abcd1234';
const KEY = 'edge-test-signing-key-0123456789abcdef';
const VOD = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\n0.ts\n#EXT-X-ENDLIST\n';
const EVENT = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2.000,\n0.ts\n';

/** An origin serving one recording at `/videos/<uid>/…`, counting what it is asked. */
async function startRecordingOrigin(t: Test, files: Map<string, string>) {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (body === undefined) return res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    const type = req.url?.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

async function setup(t: Test, video: Omit<VideoLocation, 'origin_host'> | null, playlist = VOD) {
  const files = new Map([
    [`/videos/${UID}/index.m3u8`, playlist],
    [`/videos/${UID}/0.ts`, 'segment-bytes'],
  ]);
  const origin = await startRecordingOrigin(t, files);
  const videos = { current: video && { ...video, origin_host: origin.host }, asked: 0 };
  const clock = new ManualClock();
  const routes = new FakeRouteLookup();
  const edge = await startEdge(routes, {
    now: clock.now,
    settings: { playbackSigningKey: KEY, routeCacheMs: 1_000, routeNotLiveCacheMs: 500 },
    videoLookup: {
      lookupVideo: async (uid) => {
        videos.asked += 1;
        return uid === UID ? videos.current : null;
      },
    },
  });
  t.teardown(() => edge.close());
  return { origin, videos, clock, routes, files, get: (path: string) => request(edge.port, path) };
}

const OPEN = { stream: STREAM, state: 'ready' as const, require_signed_urls: false, allowed_origins: [] };

t.test('a ready video plays through the edge, cached as immutable: the origin is asked once per file', async (t) => {
  const { origin, get } = await setup(t, OPEN);
  const playlist = await get(`/videos/${UID}/index.m3u8`);
  t.equal(playlist.status, 200);
  t.equal(playlist.body.toString(), VOD);
  t.match(playlist.headers['cache-control'], /immutable/);
  const first = await get(`/videos/${UID}/0.ts`);
  t.equal(first.body.toString(), 'segment-bytes');
  t.equal(first.headers['x-cache'], 'MISS');
  const second = await get(`/videos/${UID}/0.ts`);
  t.equal(second.headers['x-cache'], 'HIT');
  t.match(second.headers['cache-control'], /public, max-age=\d+, immutable/);
  t.equal((await get(`/videos/${UID}/index.m3u8`)).headers['x-cache'], 'HIT');
  t.same(origin.asked, [`/videos/${UID}/index.m3u8`, `/videos/${UID}/0.ts`]);
});

t.test('a video in progress: its EVENT playlist is reused only briefly, like a live one', async (t) => {
  const { origin, clock, get } = await setup(t, { ...OPEN, state: 'live-inprogress' }, EVENT);
  const playlist = await get(`/videos/${UID}/index.m3u8`);
  t.equal(playlist.headers['cache-control'], 'public, max-age=1');
  clock.advance(1_500);
  await get(`/videos/${UID}/index.m3u8`);
  t.equal(origin.asked.length, 2, 'asked again after half a target duration');
});

t.test('an unknown uid, and a video deleted once the short lookup cache ran out, are 404', async (t) => {
  const { videos, clock, get } = await setup(t, OPEN);
  const missing = await get(`/videos/${'c'.repeat(32)}/index.m3u8`);
  t.equal(missing.status, 404);
  t.match(missing.json(), { error: { code: 'LIVE_ERR_VIDEO_NOT_FOUND' } });
  t.equal((await get(`/videos/${UID}/0.ts`)).status, 200);
  videos.current = null;
  t.equal((await get(`/videos/${UID}/0.ts`)).status, 200, 'deleted, but the lookup is still cached');
  clock.advance(1_001);
  t.equal((await get(`/videos/${UID}/0.ts`)).status, 404, 'deleted: gone even though its files are in the cache');
  t.equal((await get('/videos/NOT-A-UID/index.m3u8')).status, 400);
  t.equal((await get(`/videos/${UID}/..%2Fx.ts`)).status, 400);
});

t.test("signed playback: a video of a stream that requires signed URLs needs a token for that stream", async (t) => {
  const { get } = await setup(t, { ...OPEN, require_signed_urls: true });
  const refused = await get(`/videos/${UID}/index.m3u8`);
  t.equal(refused.status, 401);
  t.match(refused.json(), { error: { code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED' } });
  const now = Date.now();
  const token = signPlaybackToken({ streamId: STREAM, issuedAtMs: now - 1_000, expiresAtMs: now + 3_600_000 }, KEY);
  const other = signPlaybackToken({ streamId: 'zzzz9999', issuedAtMs: now - 1_000, expiresAtMs: now + 3_600_000 }, KEY);
  t.equal((await get(`/videos/${UID}/index.m3u8?token=${other}`)).status, 403, "another stream's token");
  const played = await get(`/videos/${UID}/index.m3u8?token=${token}`);
  t.equal(played.status, 200);
  t.match(played.body.toString(), `0.ts?token=${token}`, 'the token is carried into the segment URIs');
  t.equal((await get(`/videos/${UID}/0.ts?token=${token}`)).status, 200);
  t.equal((await get(`/videos/${UID}/0.ts`)).status, 401, 'a cached segment too');
});

t.test('the live input: 204 while nothing is live, 200 while live, 404 for names that are no stream', async (t) => {
  const liveOrigin = await startOrigin();
  t.teardown(() => liveOrigin.close());
  await liveOrigin.put(STREAM, 'index.m3u8', EVENT);
  const { routes, clock, get } = await setup(t, OPEN);
  const offline = await get(`/${STREAM}/index.m3u8`);
  t.equal(offline.status, 204);
  t.equal(offline.body.length, 0);
  t.equal((await get(`/${STREAM}/0.ts`)).status, 404, 'a segment of an offline stream stays 404');
  routes.deleted.add('gone1234');
  t.equal((await get('/gone1234/index.m3u8')).status, 404);
  t.same(await (await get(`/${STREAM}/lifecycle`)).json(), { isInput: true, videoUID: null, live: false });

  routes.register(STREAM, liveOrigin.host);
  routes.liveVideos.set(STREAM, UID);
  clock.advance(501);
  t.equal((await get(`/${STREAM}/index.m3u8`)).status, 200);
  t.same(await (await get(`/${STREAM}/lifecycle`)).json(), { isInput: true, videoUID: UID, live: true });
  t.equal((await get('/gone1234/lifecycle')).status, 404);
});

t.test('lifecycle of a video uid: live while recorded, not once ready', async (t) => {
  const { videos, clock, get } = await setup(t, { ...OPEN, state: 'live-inprogress' });
  t.same(await (await get(`/${UID}/lifecycle`)).json(), { isInput: false, videoUID: UID, live: true });
  videos.current = { ...videos.current!, state: 'ready' };
  clock.advance(1_001);
  const ready = await get(`/${UID}/lifecycle`);
  t.same(ready.json(), { isInput: false, videoUID: UID, live: false });
  t.equal(ready.headers['cache-control'], 'no-cache');
});
