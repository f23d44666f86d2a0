/**
 * A real player through the edge: hls.js in headless Chromium (Debian's chromium through
 * playwright-core) plays a live ffmpeg test pattern from a page on another origin, the way a
 * viewer's browser does. With lowLatencyMode on `ll.m3u8` for 60 s it must never stall, keep up
 * with the wall clock and actually use LL-HLS parts; standard hls.js must play `index.m3u8` too.
 * The latency is printed for the reader, never asserted: a loaded CI machine must not fail it.
 */
import t, { type Test } from 'tap';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../test-support/chromium.js';
import { openHlsPlayer, waitForLivePlaylists, type HlsPlayer, type PlayerSnapshot } from '../../test-support/hls-player.js';
import type { Publisher } from '../../test-support/ffmpeg.js';
import { publishTestPattern } from '../../test-support/test-pattern-publisher.js';
import { waitFor } from '../../test-support/wait-for.js';
import { startPlatform, type Platform } from '../platform-harness.js';

const STREAM = 'player';
const LOW_LATENCY_PLAY_MS = 60_000;
const STANDARD_PLAY_MS = 15_000;
let platform: Platform;
let browser: Browser;
let publisher: Publisher;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: STREAM, HLS_LOW_LATENCY: 'on' });
  publisher = await publishTestPattern(`${platform.rtmpUrl}/${STREAM}`);
  browser = await launchChromium();
  // Two segments: the stream is older than PART-HOLD-BACK plus a GOP when the player joins, as a
  // viewer opening a running stream finds it (hls.js cannot keep its hold-back on a younger one).
  await waitForLivePlaylists(platform.edgeUrl, STREAM, { segments: 2 });
});
t.teardown(async () => {
  await browser?.close();
  await publisher?.stop();
  await platform?.stop();
});

/** Waits for the first `playing`, then lets the player run `playMs` of wall time; returns the snapshots at both ends. */
async function watch(player: HlsPlayer, playMs: number): Promise<{ started: PlayerSnapshot; ended: PlayerSnapshot }> {
  const started = await waitFor('playback to start', async () => {
    const snapshot = await player.snapshot();
    const playing = snapshot.playingAt !== null && snapshot.currentTime > 0;
    return playing || snapshot.errors.some((error) => error.fatal) ? snapshot : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  if (started.playingAt === null) throw new Error(`hls.js gave up before playing: ${JSON.stringify(started.errors)}`);
  await new Promise((resolve) => setTimeout(resolve, playMs));
  return { started, ended: await player.snapshot() };
}

function describeLatency(label: string, snapshot: PlayerSnapshot): string {
  const behind = snapshot.playingDate === null ? 'n/a' : `${((snapshot.now - snapshot.playingDate) / 1000).toFixed(2)} s`;
  const latency = snapshot.latency === null ? 'n/a' : `${snapshot.latency.toFixed(2)} s`;
  return `${label}: hls.latency ${latency}, wall clock minus playingDate ${behind}`;
}

function assertSmoothPlayback(t: Test, started: PlayerSnapshot, ended: PlayerSnapshot): void {
  t.same(ended.stalls, [], 'no waiting event after playback started');
  t.same(ended.errors.filter((error) => error.fatal || error.details === 'bufferStalledError'), [], 'no fatal hls.js error and no BUFFER_STALLED_ERROR');
  t.equal(ended.paused, false, 'still playing');
  const wallSeconds = (ended.now - started.now) / 1000;
  const mediaSeconds = ended.currentTime - started.currentTime;
  t.comment(`played ${mediaSeconds.toFixed(2)} s of media in ${wallSeconds.toFixed(2)} s of wall time`);
  // Live playback may run a little fast or slow to hold its distance to the edge, never much.
  t.ok(mediaSeconds > wallSeconds * 0.9 && mediaSeconds < wallSeconds * 1.1, `currentTime advanced by about the wall time (${mediaSeconds.toFixed(2)} s in ${wallSeconds.toFixed(2)} s)`);
}

t.test('hls.js in lowLatencyMode plays ll.m3u8 through the edge for 60 s without a stall, using parts', async (t) => {
  const player = await openHlsPlayer(browser, `${platform.edgeUrl}/${STREAM}/ll.m3u8`, { lowLatencyMode: true });
  t.teardown(() => player.close());

  const { started, ended } = await watch(player, LOW_LATENCY_PLAY_MS);
  if (ended.stalls.length > 0) t.comment(`what hls.js did up to the end:\n${(await player.eventLog()).join('\n')}`);
  assertSmoothPlayback(t, started, ended);
  t.ok(ended.parts > started.parts, `hls.js loaded LL-HLS parts while playing (${ended.parts} parts, ${ended.segments} whole segments)`);
  t.ok(ended.partUrls.every((url) => /\/\d+\.\d+\.m4s$/.test(url)), 'the parts are the playlist\'s part files');
  t.ok(ended.latency !== null, 'hls.js reports its latency to the live edge');
  t.comment(describeLatency('LL-HLS through the edge', ended));

});

t.test('standard hls.js plays index.m3u8 through the edge', async (t) => {
  const player = await openHlsPlayer(browser, `${platform.edgeUrl}/${STREAM}/index.m3u8`);
  t.teardown(() => player.close());
  const { started, ended } = await watch(player, STANDARD_PLAY_MS);
  assertSmoothPlayback(t, started, ended);
  t.equal(ended.parts, 0, 'no parts in the MPEG-TS playlist');
  t.ok(ended.segments > 0, 'hls.js loaded whole segments');
  t.comment(describeLatency('standard HLS through the edge', ended));
});
