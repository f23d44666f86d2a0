/**
 * A DASH viewer of an ABR stream: dash.js in headless Chromium plays the edge's `index.mpd`, whose
 * video AdaptationSet holds the source and every rendition as Representations, with no error
 * event; switched by hand to the lowest Representation (a viewer's quality menu, automatic
 * switching off), it loads that rendition's own segments (`90p-v-<period>-<n>.m4s`) and plays on.
 * The non-browser checks of the same manifest are in e2e/abr-llhls.test.ts. Outcomes only: the
 * ladder's transcoding shares the machine with the browser.
 */
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../../test-support/chromium.js';
import { openDashPlayer, waitForDashPlayback, waitForLiveManifest } from '../../test-support/dash-player.js';
import { waitFor } from '../../test-support/wait-for.js';
import { ABR_TEST_LADDER, publishAbrTestPattern } from '../abr-publisher.js';
import { startPlatform, type Platform } from '../platform-harness.js';
import { newStream } from '../recorded-stream.js';

const ADMIN_TOKEN = 'adm_e2e_abr_dash_player_token_01';
const RENDITION_SEGMENT = /\/90p-v-[0-9]+-[0-9]+\.m4s$/;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', HLS_SEGMENT_SECONDS: '1', HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

t.test("dash.js plays an ABR stream's index.mpd through the edge, and the 90p Representation when a viewer picks it", async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'abr-dash-player', { abr: { enabled: true, ladder: ABR_TEST_LADDER }, recording: { mode: 'off' } });
  const publisher = await publishAbrTestPattern(stream.publishUrl);
  t.teardown(() => publisher.stop());
  await waitFor('index.mpd with every rendition through the edge', async () => {
    const answer = await fetch(`${platform.edgeUrl}/${stream.id}/index.mpd`);
    const text = answer.ok ? await answer.text() : '';
    return text.includes('id="120p"') && text.includes('id="90p"');
  }, { timeoutMs: 90_000, intervalMs: 250 });
  await waitForLiveManifest(platform.edgeUrl, stream.id, 3);

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const player = await openDashPlayer(browser, `${platform.edgeUrl}/${stream.id}/index.mpd`);
  t.teardown(() => player.close());
  const started = await waitForDashPlayback(player);
  t.same(started.errors, [], 'no dash.js error before playback');
  t.same(started.tracks, ['video', 'audio'], 'dash.js plays both tracks');

  const qualities = await player.page.evaluate(() => {
    const page = globalThis as unknown as {
      player: {
        updateSettings(settings: unknown): void;
        getBitrateInfoListFor(type: string): Array<{ qualityIndex: number; height: number }>;
        setQualityFor(type: string, index: number): void;
      };
    };
    page.player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
    const list = page.player.getBitrateInfoListFor('video');
    const lowest = list.reduce((low, one) => (one.height < low.height ? one : low));
    page.player.setQualityFor('video', lowest.qualityIndex);
    return list.map((one) => one.height).sort((a, b) => a - b);
  });
  t.same(qualities, [90, 120, 180], 'dash.js offers the source and both renditions');
  const pickedAt = (await player.snapshot()).currentTime;

  const onLow = await waitFor('a 90p segment and 5 s of playback after it', async () => {
    const snapshot = await player.snapshot();
    if (snapshot.errors.length > 0) return snapshot;
    return snapshot.fragments.some((fragment) => fragment.url !== null && RENDITION_SEGMENT.test(fragment.url)) && snapshot.currentTime > pickedAt + 5 ? snapshot : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
  t.same(onLow.errors, [], 'no dash.js error event');
  t.equal(onLow.paused, false, 'still playing');
  const lowSegments = onLow.fragments.filter((fragment) => fragment.url !== null && RENDITION_SEGMENT.test(fragment.url));
  t.ok(lowSegments.length > 0 && lowSegments.every((fragment) => fragment.type === 'video'), `the 90p Representation's own video segments (${lowSegments.length})`);
  t.ok(onLow.fragments.every((fragment) => fragment.url === null || fragment.url.startsWith(platform.edgeUrl)), 'all from the edge');
  t.comment(`dash.js: ${onLow.stalls.length} waiting events after start, live latency ${onLow.liveDelay?.toFixed(2) ?? 'n/a'} s`);
});
