/**
 * dash.js through the edge: the reference DASH player in headless Chromium (Debian's chromium
 * through playwright-core) plays `index.mpd` of a live ffmpeg test pattern from a page on another
 * origin for about 20 s: it must start, keep playing with the wall clock, load video and audio
 * segments from the edge and raise no error event. In the real-time phase of npm test (run alone):
 * a browser playing live media is starved by suites running beside it.
 */
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../../test-support/chromium.js';
import { openDashPlayer, waitForDashPlayback, waitForLiveManifest, type DashPlayerSnapshot } from '../../test-support/dash-player.js';
import { publishTestPattern } from '../../test-support/test-pattern-publisher.js';
import { startPlatform, type Platform } from '../platform-harness.js';

/** A stream of its own: one Period, as a viewer of a stream that never restarted sees it. */
const STREAM = 'dash-player';
const PLAY_MS = 20_000;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: STREAM, HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

t.test('dash.js in headless Chromium plays the edge\'s index.mpd for about 20 s: currentTime advances, no error events', async (t) => {
  const publisher = await publishTestPattern(`${platform.rtmpUrl}/${STREAM}`);
  t.teardown(() => publisher.stop());
  await waitForLiveManifest(platform.edgeUrl, STREAM, 3);
  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const player = await openDashPlayer(browser, `${platform.edgeUrl}/${STREAM}/index.mpd`);
  t.teardown(() => player.close());

  const started = await waitForDashPlayback(player);
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
