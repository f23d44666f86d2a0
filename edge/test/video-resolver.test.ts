import t from 'tap';
import type { VideoLocation } from '../../internal-api/src/video-contract.js';
import { VideoResolver } from '../src/video-resolver.js';

const UID = 'a'.repeat(32);
const LOCATION: VideoLocation = { stream: 's1', origin_host: 'o:1', state: 'ready', require_signed_urls: false, allowed_origins: [] };

function setup(answer: () => Promise<VideoLocation | null>) {
  let now = 0;
  const calls: string[] = [];
  const resolver = new VideoResolver(
    {
      lookupVideo: async (uid) => {
        calls.push(uid);
        return answer();
      },
    },
    { cacheMs: 1_000, notFoundCacheMs: 200, staleMs: 10_000, maxEntries: 2, now: () => now },
  );
  return { resolver, calls, advance: (ms: number) => (now += ms) };
}

t.test('answers are reused within cacheMs, concurrent questions share one lookup', async (t) => {
  const { resolver, calls, advance } = setup(async () => LOCATION);
  const [a, b] = await Promise.all([resolver.resolve(UID), resolver.resolve(UID)]);
  t.same(a, { stream: 's1', origin: 'o:1', ready: true, playback: { requireSignedUrls: false, allowedOrigins: [] } });
  t.equal(a, b);
  await resolver.resolve(UID);
  t.equal(calls.length, 1);
  advance(1_000);
  await resolver.resolve(UID);
  t.equal(calls.length, 2, 'asked again after cacheMs');
});

t.test('an unknown uid is 404 LIVE_ERR_VIDEO_NOT_FOUND, reused for notFoundCacheMs only', async (t) => {
  const { resolver, calls, advance } = setup(async () => null);
  await t.rejects(resolver.resolve(UID), { code: 'LIVE_ERR_VIDEO_NOT_FOUND', statusCode: 404 });
  await t.rejects(resolver.resolve(UID), { code: 'LIVE_ERR_VIDEO_NOT_FOUND' });
  t.equal(calls.length, 1);
  advance(200);
  await t.rejects(resolver.resolve(UID), { code: 'LIVE_ERR_VIDEO_NOT_FOUND' });
  t.equal(calls.length, 2);
});

t.test('the API down: a known video plays on within staleMs, an unknown one is 503', async (t) => {
  let down = false;
  const { resolver, advance } = setup(async () => {
    if (down) throw new Error('connect ECONNREFUSED');
    return LOCATION;
  });
  await resolver.resolve(UID);
  down = true;
  advance(5_000);
  t.match(await resolver.resolve(UID), { origin: 'o:1' }, 'stale but known');
  await t.rejects(resolver.resolve('b'.repeat(32)), { code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE', statusCode: 503 });
  advance(6_000);
  await t.rejects(resolver.resolve(UID), { code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE' }, 'too old past staleMs');
});
