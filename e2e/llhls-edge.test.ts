/**
 * LL-HLS through the edge on the real platform (HLS_LOW_LATENCY on): real ffmpeg publishes over
 * RTMP, the real origin holds blocking `ll.m3u8` requests and the hinted part, and 200 viewers
 * asking the edge for the same blocking playlist and the same hinted part at once cost the origin
 * one request each. Counted on the edge's own metrics; outcomes only, no timing assertions.
 */
import t from 'tap';
import { sumOf } from '../edge/test/fixtures/metrics.js';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const STREAM = 'll-edge';
const VIEWERS = 200;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: STREAM, HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

async function originFetches(kind: 'playlist' | 'segment'): Promise<number> {
  const text = await (await fetch(`${platform.edgeUrl}/metrics`)).text();
  return sumOf(text, 'edge_origin_fetches_total', { kind });
}

async function get(url: string): Promise<{ status: number; xCache: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, xCache: response.headers.get('x-cache'), bytes: Buffer.from(await response.arrayBuffer()) };
}

t.test('200 viewers of the same blocking ll.m3u8 and hinted part through the edge: one origin request each', async (t) => {
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${STREAM}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  const base = `${platform.edgeUrl}/${STREAM}/`;
  const hinted = await waitFor('a live ll.m3u8 with a preload hint through the edge', async () => {
    const answer = await get(`${base}ll.m3u8`);
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(answer.bytes.toString());
    return answer.status === 200 && hint ? { msn: Number(hint[1]), part: Number(hint[2]) } : undefined;
  }, { timeoutMs: 60_000, intervalMs: 50 });

  const playlistsBefore = await originFetches('playlist');
  const partsBefore = await originFetches('segment');
  const partFile = `${hinted.msn}.${hinted.part}.m4s`;
  // The part after the hinted one, so the origin holds the blocking request while all 200 arrive,
  // however slow the machine: none can come after the answer and its 1 s lifetime at the edge.
  const wanted = { msn: hinted.msn, part: hinted.part + 1 };
  // Each viewer adds a parameter of its own: only the directives may reach the origin and the key.
  const [playlists, parts] = await Promise.all([
    Promise.all(Array.from({ length: VIEWERS }, (_, i) => get(`${base}ll.m3u8?_HLS_msn=${wanted.msn}&_HLS_part=${wanted.part}&viewer=${i}`))),
    Promise.all(Array.from({ length: VIEWERS }, (_, i) => get(`${base}${partFile}?viewer=${i}`))),
  ]);

  t.ok(playlists.every((answer) => answer.status === 200), 'every blocking request answered 200');
  t.equal(new Set(playlists.map((answer) => answer.bytes.toString())).size, 1, '200 identical playlists');
  const text = playlists[0]!.bytes.toString();
  t.ok(
    text.includes(`URI="${wanted.msn}.${wanted.part}.m4s"`) || text.includes(`URI="${wanted.msn + 1}.0.m4s"`),
    'the answer lists the part it asked for (or the next segment began)',
  );
  t.equal((await originFetches('playlist')) - playlistsBefore, 1, 'one origin request for the 200 blocking requests');

  t.ok(parts.every((answer) => answer.status === 200 && answer.bytes.length > 0), 'every viewer of the hinted part got it');
  t.equal(new Set(parts.map((answer) => answer.bytes.toString('base64'))).size, 1, 'the same bytes for all');
  t.equal((await originFetches('segment')) - partsBefore, 1, 'one origin request for the 200 part requests');
  const fromOrigin = Buffer.from(await (await fetch(`${platform.originUrl}/${STREAM}/${partFile}`)).arrayBuffer());
  t.ok(parts[0]!.bytes.equals(fromOrigin), "the origin's bytes");

  const again = await get(`${base}${partFile}`);
  t.equal(again.xCache, 'HIT', 'the part is cached');
  t.equal((await originFetches('segment')) - partsBefore, 1);

  const malformed = await get(`${base}ll.m3u8?_HLS_msn=x`);
  t.equal(malformed.status, 400);
  t.match(JSON.parse(malformed.bytes.toString()), { error: { code: 'LIVE_ERR_DELIVERY_DIRECTIVE' } });
});
