/**
 * A viewer of a stream with both ABR and LL-HLS on: hls.js in lowLatencyMode, in headless
 * Chromium, opens the multivariant `ll.m3u8` through the edge, picks a variant, follows its LL
 * media playlist and loads its parts (the source's `<msn>.<n>.m4s`, a rendition's
 * `<height>p-<msn>.<n>.m4s`), and plays along the wall clock without a fatal error; switched to the
 * lowest rendition (a viewer's quality menu), it plays that rendition's parts. The
 * non-browser checks of the same playlists are e2e/abr-llhls.test.ts. Outcomes only: stalls and
 * latency are printed for the reader, never asserted, since the ladder's transcoding shares the
 * machine with the player.
 */
import HLS from 'hls-parser';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../../test-support/chromium.js';
import { openHlsPlayer } from '../../test-support/hls-player.js';
import { waitFor } from '../../test-support/wait-for.js';
import { ABR_TEST_LADDER, publishAbrTestPattern } from '../abr-publisher.js';
import { startPlatform, type Platform } from '../platform-harness.js';
import { newStream } from '../recorded-stream.js';

const ADMIN_TOKEN = 'adm_e2e_abr_llhls_player_token_01';
const PLAY_MS = 20_000;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', HLS_SEGMENT_SECONDS: '1', HLS_LOW_LATENCY: 'on' });
});
t.teardown(() => platform?.stop());

t.test("hls.js in lowLatencyMode plays an ABR stream's multivariant ll.m3u8 through the edge, using a variant's parts", async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'abr-ll-player', { abr: { enabled: true, ladder: ABR_TEST_LADDER }, recording: { mode: 'off' } });
  const publisher = await publishAbrTestPattern(stream.publishUrl);
  t.teardown(() => publisher.stop());

  const masterUrl = `${platform.edgeUrl}/${stream.id}/ll.m3u8`;
  const master = await waitFor('the LL multivariant playlist with every rendition', async () => {
    const answer = await fetch(masterUrl);
    const text = answer.ok ? await answer.text() : '';
    return text.includes('120p-ll.m3u8') && text.includes('90p-ll.m3u8') ? (HLS.parse(text) as HLS.types.MasterPlaylist) : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
  t.equal(master.variants.length, 3, 'the source and two renditions');
  // As a viewer opening a running stream: every variant's LL playlist already holds two segments.
  for (const variant of master.variants) {
    await waitFor(`${variant.uri} with two segments`, async () => {
      const answer = await fetch(new URL(variant.uri, masterUrl));
      const text = answer.ok ? await answer.text() : '';
      return text.includes('#EXT-X-PART:') && (HLS.parse(text) as HLS.types.MediaPlaylist).segments.filter((segment) => segment.duration > 0).length >= 2;
    }, { timeoutMs: 60_000, intervalMs: 250 });
  }

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  const player = await openHlsPlayer(browser, masterUrl, { lowLatencyMode: true });
  t.teardown(() => player.close());
  const started = await waitFor('playback to start', async () => {
    const snapshot = await player.snapshot();
    return (snapshot.playingAt !== null && snapshot.currentTime > 0) || snapshot.errors.some((error) => error.fatal) ? snapshot : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.equal(started.playingAt !== null, true, `hls.js started playing (${JSON.stringify(started.errors.filter((error) => error.fatal))})`);
  await new Promise((resolve) => setTimeout(resolve, PLAY_MS));
  const ended = await player.snapshot();
  if (ended.errors.some((error) => error.fatal)) t.comment(`what hls.js did:\n${(await player.eventLog()).join('\n')}`);

  t.same(ended.errors.filter((error) => error.fatal), [], 'no fatal hls.js error');
  t.equal(ended.paused, false, 'still playing');
  const wallSeconds = (ended.now - started.now) / 1000;
  const mediaSeconds = ended.currentTime - started.currentTime;
  // A stall while the ladder's encoders and the browser share two cores slows it; it never stops.
  t.ok(mediaSeconds > wallSeconds * 0.5, `currentTime advanced (${mediaSeconds.toFixed(2)} s of media in ${wallSeconds.toFixed(2)} s)`);
  t.ok(ended.parts > started.parts, `hls.js loaded LL-HLS parts while playing (${ended.parts} parts, ${ended.segments} whole segments)`);
  t.ok(
    ended.partUrls.length > 0 && ended.partUrls.every((url) => /\/(?:[0-9]{2,4}p-)?[0-9]+\.[0-9]+\.m4s$/.test(url)),
    `the parts are a variant playlist's part files (${ended.partUrls.slice(0, 3).join(', ')})`,
  );
  t.comment(`${ended.stalls.length} waiting events after start; hls.latency ${ended.latency?.toFixed(2) ?? 'n/a'} s`);

  // Levels are sorted by bandwidth: 0 is the 90p rendition.
  await player.page.evaluate(() => {
    const page = globalThis as unknown as {
      hls: { currentLevel: number; on(event: string, listener: (event: string, data: { part?: { url: string } | null }) => void): void };
      Hls: { Events: { FRAG_LOADED: string } };
      partsAfterSwitch: string[];
    };
    page.partsAfterSwitch = [];
    page.hls.on(page.Hls.Events.FRAG_LOADED, (_event, data) => {
      if (data.part && page.partsAfterSwitch.length < 200) page.partsAfterSwitch.push(data.part.url);
    });
    page.hls.currentLevel = 0;
  });
  const partsAfterSwitch = () => player.page.evaluate(() => (globalThis as unknown as { partsAfterSwitch: string[] }).partsAfterSwitch);
  const firstLowPart = await waitFor('a part of the 90p rendition', async () => (await partsAfterSwitch()).find((url) => /\/90p-[0-9]+\.[0-9]+\.m4s$/.test(url)), { timeoutMs: 60_000, intervalMs: 250 });
  const switchedAt = (await player.snapshot()).currentTime;
  const onLow = await waitFor('playback to go on at 90p', async () => {
    const snapshot = await player.snapshot();
    return snapshot.currentTime > switchedAt + 5 || snapshot.errors.some((error) => error.fatal) ? snapshot : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250 });
  t.same(onLow.errors.filter((error) => error.fatal), [], `after the switch to 90p (${firstLowPart}), no fatal hls.js error`);
  t.ok(onLow.currentTime > switchedAt + 5, 'and playback went on');
  const lowParts = (await partsAfterSwitch()).filter((url) => /\/90p-[0-9]+\.[0-9]+\.m4s$/.test(url));
  t.ok(lowParts.length > 3, `it loaded the rendition's parts (${lowParts.length})`);
});
