/**
 * DASH through the edge on the real platform (HLS_LOW_LATENCY on): real ffmpeg publishes over
 * RTMP, the origin packages CMAF once and serves `index.mpd` over the LL-HLS chunks, and players
 * read it from the edge: ffmpeg (its own DASH demuxer and decoders) for audio+video, video-only
 * and audio-only publishers, and dash.js in headless Chromium, from a page on another origin,
 * for about 20 s. Outcomes only, no timing assertions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../test-support/chromium.js';
import { openDashPlayer, type DashPlayerSnapshot } from '../test-support/dash-player.js';
import { publishWithFfmpeg, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const execFileAsync = promisify(execFile);
/** dash.js plays a stream of its own: one Period, as a viewer of a stream that never restarted sees it. */
const STREAMS = { both: 'dash-av', video: 'dash-video', audio: 'dash-audio', player: 'dash-player' } as const;
const PLAY_MS = 20_000;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: Object.values(STREAMS).join(','), HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

/** The edge's manifest once it lists `segments` segments per track (the stream has run a while). */
async function liveManifest(stream: string, segments: number): Promise<string> {
  return waitFor(`${stream}/index.mpd with ${segments} segments per track through the edge`, async () => {
    const response = await fetch(`${platform.edgeUrl}/${stream}/index.mpd`);
    if (!response.ok) return undefined;
    const text = await response.text();
    const counts = [...text.matchAll(/<SegmentTimeline>([\s\S]*?)<\/SegmentTimeline>/g)].map(([, timeline]) =>
      [...timeline!.matchAll(/<S [^>]*?(?:r="(\d+)")?\/>/g)].reduce((sum, [, r]) => sum + 1 + Number(r ?? 0), 0),
    );
    return counts.length > 0 && counts.every((count) => count >= segments) ? text : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500 });
}

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
  const publisher = publishTestPattern(`${platform.rtmpUrl}/${STREAMS.both}`);
  t.teardown(() => publisher.stop());
  const manifest = await liveManifest(STREAMS.both, 3);
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
    const manifest = await liveManifest(stream, 2);
    t.equal([...manifest.matchAll(/<AdaptationSet /g)].length, 1, 'one AdaptationSet');
    t.same(await probeStreams(stream), [...expected]);
    const { frames, errors } = await decodeThroughEdge(stream, 3);
    t.equal(errors, '', 'ffmpeg reads and decodes without errors');
    t.ok(frames.size === 1 && [...frames.values()][0]! > 50, `frames of its one stream (${JSON.stringify([...frames])})`);
  });
}

t.test('dash.js in headless Chromium plays the edge\'s index.mpd for about 20 s: currentTime advances, no error events', async (t) => {
  const publisher = publishTestPattern(`${platform.rtmpUrl}/${STREAMS.player}`);
  t.teardown(() => publisher.stop());
  await liveManifest(STREAMS.player, 3);
  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const player = await openDashPlayer(browser, `${platform.edgeUrl}/${STREAMS.player}/index.mpd`);
  t.teardown(() => player.close());

  let last: DashPlayerSnapshot | undefined;
  const started = await waitFor('dash.js to start playing', async () => {
    last = await player.snapshot();
    return (last.playingAt !== null && last.currentTime > 0) || last.errors.length > 0 ? last : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 }).catch((error: Error) => {
    throw new Error(`${error.message}; the player's last state: ${JSON.stringify(last)}`);
  });
  t.same(started.errors, [], 'no dash.js error before playback');
  await new Promise((resolve) => setTimeout(resolve, PLAY_MS));
  const ended: DashPlayerSnapshot = await player.snapshot();
  t.same(ended.errors, [], 'no dash.js error event');
  t.equal(ended.paused, false, 'still playing');
  const wallSeconds = (ended.now - started.now) / 1000;
  const mediaSeconds = ended.currentTime - started.currentTime;
  t.ok(mediaSeconds > wallSeconds * 0.8, `currentTime advanced with the wall clock (${mediaSeconds.toFixed(2)} s in ${wallSeconds.toFixed(2)} s)`);
  t.same(ended.tracks, ['video', 'audio'], 'dash.js plays both tracks');
  const types = new Set(ended.fragments.map((fragment) => fragment.type));
  t.ok(types.has('video') && types.has('audio'), 'it loaded video and audio segments');
  t.ok(ended.fragments.every((fragment) => fragment.url === null || fragment.url.startsWith(platform.edgeUrl)), 'all from the edge');
  t.comment(`dash.js: ${ended.stalls.length} waiting events after start, live latency ${ended.liveDelay?.toFixed(2) ?? 'n/a'} s`);
});
