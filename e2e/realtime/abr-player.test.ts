/**
 * Issue 13: hls.js in headless Chromium plays an ABR stream's multivariant playlist through the
 * edge, starting on its top level (the source); once Chromium's network is throttled (CDP
 * Network.emulateNetworkConditions) below the source's bitrate but above the lowest rendition's,
 * hls.js switches down a level and playback goes on. Asserted by the order of events (playing,
 * throttled, a switch to a lower level, then media time advancing), never by their timing. In
 * the real-time phase of npm test: a browser playing live media is starved by suites beside it.
 */
import HLS from 'hls-parser';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../../test-support/chromium.js';
import { publishFile } from '../../test-support/ffmpeg.js';
import { openHlsPlayer } from '../../test-support/hls-player.js';
import { ensureTestPatternClip, type TestPatternClip } from '../../test-support/test-pattern-publisher.js';
import { waitFor } from '../../test-support/wait-for.js';
import { startPlatform, type Platform } from '../platform-harness.js';
import { newStream } from '../recorded-stream.js';

const ADMIN_TOKEN = 'adm_e2e_abr_player_token_0123456';
/** 320x180 15 fps, a keyframe a second, x264 held to a constant 600 kb/s (nal-hrd=cbr), AAC 32 kb/s: encoded once, played looped. */
const CBR_PATTERN: TestPatternClip = {
  size: '320x180',
  gopSeconds: 1,
  fps: 15,
  audioChannels: 1,
  encoding: ['-preset', 'veryfast', '-b:v', '600k', '-minrate', '600k', '-maxrate', '600k', '-bufsize', '600k', '-x264-params', 'nal-hrd=cbr', '-b:a', '32k'],
};
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', HLS_SEGMENT_SECONDS: '1' });
});
t.teardown(() => platform?.stop());

interface LevelWatch {
  start: number;
  /** hls.js LEVEL_SWITCHED levels, in order, each with the media time it came at. */
  switches: { level: number; currentTime: number }[];
  currentTime: number;
  fatal: string[];
}

t.test('hls.js switches down a level when the network is throttled, and keeps playing', async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'abr-player', {
    abr: { enabled: true, ladder: [{ height: 90, bitrate_bps: 80_000 }] },
    recording: { mode: 'off' },
  });
  const publisher = publishFile(await ensureTestPatternClip(CBR_PATTERN), stream.publishUrl, { loops: -1 });
  t.teardown(() => publisher.stop());
  const masterUrl = `${platform.edgeUrl}/${stream.id}/index.m3u8`;
  const master = await waitFor('the multivariant playlist with the 90p rendition', async () => {
    const answer = await fetch(masterUrl);
    const text = answer.ok ? await answer.text() : '';
    return text.includes('90p.m3u8') ? (HLS.parse(text) as HLS.types.MasterPlaylist) : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
  const [source, low] = master.variants;
  t.ok(low!.bandwidth * 2 < source!.bandwidth, `the rendition (${low!.bandwidth} b/s) is well below the source (${source!.bandwidth} b/s)`);

  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());
  // Levels are sorted by bandwidth: 1 is the source. Start there, and let hls.js's ABR decide after.
  const player = await openHlsPlayer(browser, masterUrl, { startLevel: 1 });
  t.teardown(() => player.close());
  await waitFor('hls.js to play', async () => (await player.snapshot()).currentTime > 1, { timeoutMs: 60_000, intervalMs: 200 });
  const watch = () =>
    player.page.evaluate(() => {
      const page = globalThis as unknown as { hls: { currentLevel: number }; levelWatch: LevelWatch; document: { getElementById(id: string): { currentTime: number } } };
      return { ...page.levelWatch, currentTime: page.document.getElementById('video').currentTime };
    });
  await player.page.evaluate(() => {
    const page = globalThis as unknown as {
      hls: { currentLevel: number; on(event: string, listener: (event: string, data: { level: number }) => void): void };
      Hls: { Events: { LEVEL_SWITCHED: string; ERROR: string } };
      levelWatch: LevelWatch;
      document: { getElementById(id: string): { currentTime: number } };
    };
    const video = page.document.getElementById('video');
    page.levelWatch = { start: page.hls.currentLevel, switches: [], currentTime: 0, fatal: [] };
    page.hls.on(page.Hls.Events.LEVEL_SWITCHED, (_event, data) => page.levelWatch.switches.push({ level: data.level, currentTime: video.currentTime }));
    page.hls.on(page.Hls.Events.ERROR, (_event, data) => {
      const error = data as unknown as { details: string; fatal: boolean };
      if (error.fatal) page.levelWatch.fatal.push(error.details);
    });
  });
  const before = await watch();
  t.equal(before.start, 1, 'playing the source first');

  // Between the two: the source cannot be sustained, the rendition can.
  const throughputBitsPerSecond = Math.sqrt(low!.bandwidth * source!.bandwidth);
  const cdp = await player.page.context().newCDPSession(player.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: throughputBitsPerSecond / 8, uploadThroughput: -1 });
  const throttledAt = (await watch()).currentTime;

  const down = await waitFor('hls.js to switch down', async () => (await watch()).switches.find((one) => one.level < before.start), { timeoutMs: 90_000, intervalMs: 250 })
    .catch(async (error: Error) => {
      throw new Error(`${error.message}; last events: ${(await player.eventLog()).slice(-30).join(' | ')}`);
    });
  t.equal(down.level, 0, 'to the rendition');
  t.ok(down.currentTime >= throttledAt, 'after the network was throttled');
  const after = await waitFor('playback to go on at the lower level', async () => {
    const now = await watch();
    return now.currentTime > down.currentTime + 3 ? now : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250 });
  t.same(after.fatal, [], 'no fatal hls.js error');
  t.notOk(after.switches.slice(after.switches.indexOf(down) + 1).some((one) => one.level > down.level), 'and no switch back up while throttled');
  const snapshot = await player.snapshot();
  t.comment(`switches ${JSON.stringify(after.switches)}; ${snapshot.stalls.length} waiting events after start`);
});
