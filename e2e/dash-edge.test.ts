/**
 * DASH through the edge on the real platform (HLS_LOW_LATENCY on): real ffmpeg publishes over
 * RTMP, the origin packages CMAF once and serves `index.mpd` over the LL-HLS chunks, and players
 * read it from the edge: ffmpeg (its own DASH demuxer and decoders) for audio+video, video-only
 * and audio-only publishers. dash.js in Chromium is e2e/realtime/dash-player.test.ts. Outcomes
 * only, no timing assertions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { waitForLiveManifest } from '../test-support/dash-player.js';
import { publishWithFfmpeg, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { startPlatform, type Platform } from './platform-harness.js';

const execFileAsync = promisify(execFile);
const STREAMS = { both: 'dash-av', video: 'dash-video', audio: 'dash-audio' } as const;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: Object.values(STREAMS).join(','), HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

/** ffmpeg decodes `seconds` of the edge's manifest; returns decoded frames per stream index and its error output. */
async function decodeThroughEdge(stream: string, seconds: number): Promise<{ frames: Map<number, number>; errors: string }> {
  const { stdout, stderr } = await execFileAsync(
    'ffmpeg',
    ['-v', 'error', '-i', `${platform.edgeUrl}/${stream}/index.mpd`, '-t', String(seconds), '-f', 'framecrc', '-'],
    { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const frames = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const index = /^(\d+),/.exec(line)?.[1];
    if (index !== undefined) frames.set(Number(index), (frames.get(Number(index)) ?? 0) + 1);
  }
  return { frames, errors: stderr.trim() };
}

async function probeStreams(stream: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', `${platform.edgeUrl}/${stream}/index.mpd`], { timeout: 120_000 });
  return (JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[] }).streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort();
}

t.test('audio + video: ffprobe finds both streams in the edge\'s index.mpd, ffmpeg decodes several seconds of each', async (t) => {
  const publisher = await publishTestPattern(`${platform.rtmpUrl}/${STREAMS.both}`);
  t.teardown(() => publisher.stop());
  const manifest = await waitForLiveManifest(platform.edgeUrl, STREAMS.both, 3);
  t.match(manifest, /type="dynamic"/);
  t.match(manifest, /profiles="urn:mpeg:dash:profile:isoff-live:2011"/);
  t.match(manifest, /contentType="video"[\s\S]*codecs="avc1\.[0-9a-f]{6}"[^>]*width="640" height="360" frameRate="30"/);
  t.match(manifest, /contentType="audio"[\s\S]*codecs="mp4a\.40\.2"[^>]*audioSamplingRate="48000"/);
  const response = await fetch(`${platform.edgeUrl}/${STREAMS.both}/index.mpd`);
  t.equal(response.headers.get('content-type'), 'application/dash+xml');
  t.match(response.headers.get('cache-control'), /^(no-cache|public, max-age=1)$/, 'a playlist\'s short reuse');

  t.same(await probeStreams(STREAMS.both), ['audio/aac', 'video/h264']);
  const { frames, errors } = await decodeThroughEdge(STREAMS.both, 4);
  t.equal(errors, '', 'ffmpeg reads and decodes without errors');
  t.ok([...frames.values()].length === 2 && [...frames.values()].every((count) => count > 100), `frames of both streams (${JSON.stringify([...frames])})`);

  const segment = /media="(v-\d+-)\$Number\$\.m4s"[^>]*>\s*<SegmentTimeline>\s*<S t="\d+"/.exec(manifest);
  t.ok(segment, 'a video template');
  const start = /<SegmentTemplate[^>]*startNumber="(\d+)"[^>]*media="v-/.exec(manifest)![1];
  const first = await fetch(`${platform.edgeUrl}/${STREAMS.both}/${segment![1]}${start}.m4s`);
  t.equal(first.status, 200);
  t.equal(first.headers.get('content-type'), 'video/mp4');
  t.match(first.headers.get('cache-control'), /immutable/, 'segments are immutable');
});

for (const [layout, stream, args, expected] of [
  ['video-only', STREAMS.video, ['-stream_loop', '-1', '-i', testAsset('h264-aac.flv'), '-an', '-c', 'copy'], ['video/h264']],
  ['audio-only', STREAMS.audio, ['-stream_loop', '-1', '-i', testAsset('aac-only.flv'), '-c', 'copy'], ['audio/aac']],
] as const) {
  t.test(`${layout}: one AdaptationSet, and ffmpeg decodes it through the edge`, async (t) => {
    const publisher: Publisher = publishWithFfmpeg([...args], `${platform.rtmpUrl}/${stream}`);
    t.teardown(() => publisher.stop());
    const manifest = await waitForLiveManifest(platform.edgeUrl, stream, 2);
    t.equal([...manifest.matchAll(/<AdaptationSet /g)].length, 1, 'one AdaptationSet');
    t.same(await probeStreams(stream), [...expected]);
    const { frames, errors } = await decodeThroughEdge(stream, 3);
    t.equal(errors, '', 'ffmpeg reads and decodes without errors');
    t.ok(frames.size === 1 && [...frames.values()][0]! > 50, `frames of its one stream (${JSON.stringify([...frames])})`);
  });
}
