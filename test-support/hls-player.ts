/**
 * hls.js playing a stream in a headless Chromium page, watched from the test: the page records
 * what a viewer would notice (when playback started, every `waiting` after that, hls.js errors)
 * and what hls.js fetched (segments, and parts in low-latency mode), and `snapshot()` reads it.
 */
import type { Browser, Page } from 'playwright-core';
import { nodeModuleFile, openPlayerPage, VIDEO_WATCH_SCRIPT, type VideoSnapshot } from './player-page.js';
import { waitFor } from './wait-for.js';

/** The page: a muted `<video>` and `startPlayer(src, config)`, which records into `window.watch`. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>hls.js player test</title></head>
<body>
<video id="video" muted playsinline autoplay></video>
<script src="/hls.js"></script>
<script>${VIDEO_WATCH_SCRIPT}</script>
<script>
  window.watch = { playingAt: null, stalls: [], errors: [], parts: 0, segments: 0, partUrls: [], head: [], log: [] };
  window.startPlayer = (src, config) => {
    const video = document.getElementById('video');
    const watch = window.watch;
    const hls = new Hls(config);
    window.hls = hls;
    watchVideo(video, watch);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      watch.errors.push({ type: data.type, details: data.details, fatal: data.fatal, url: data.frag?.url ?? data.url ?? null });
    });
    // What hls.js asked for and got, for a failure message, bounded: the first entries (how it
    // joined) and the last ones, each with the wall clock (seconds since the page loaded) and
    // the playhead.
    const note = (text) => {
      const entry = (performance.now() / 1000).toFixed(3) + ' @' + video.currentTime.toFixed(3) + ' ' + text;
      if (watch.head.length < 150) watch.head.push(entry);
      else {
        watch.log.push(entry);
        if (watch.log.length > 300) watch.log.shift();
      }
    };
    const name = (data) => {
      const piece = data.part ?? data.frag;
      return data.frag.sn + (data.part ? '.' + data.part.index : '') + ' [' + piece.start.toFixed(3) + '+' + piece.duration.toFixed(3) + ']';
    };
    hls.on(Hls.Events.FRAG_LOADING, (_event, data) => note('loading ' + name(data)));
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => note('loaded ' + name(data) + ' ' + (data.payload?.byteLength ?? '?') + ' B'));
    hls.on(Hls.Events.FRAG_BUFFERED, (_event, data) => {
      const ranges = [];
      for (let i = 0; i < video.buffered.length; i++) ranges.push(video.buffered.start(i).toFixed(3) + '-' + video.buffered.end(i).toFixed(3));
      note('buffered ' + name(data) + ' -> ' + ranges.join(' '));
    });
    hls.on(Hls.Events.ERROR, (_event, data) => note('error ' + data.details + (data.fatal ? ' (fatal)' : '')));
    video.addEventListener('waiting', () => note('waiting'));
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
      if (data.part) {
        watch.parts++;
        if (watch.partUrls.length < 20) watch.partUrls.push(data.part.url);
      } else {
        watch.segments++;
      }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    video.play().catch((error) => watch.errors.push({ type: 'play', details: String(error), fatal: false, url: null }));
  };
  window.playerSnapshot = () => {
    const video = document.getElementById('video');
    const hls = window.hls;
    const playingDate = hls?.playingDate;
    return {
      ...videoSnapshot(video, window.watch),
      parts: window.watch.parts,
      segments: window.watch.segments,
      partUrls: window.watch.partUrls.slice(),
      latency: hls && Number.isFinite(hls.latency) ? hls.latency : null,
      targetLatency: hls && Number.isFinite(hls.targetLatency) ? hls.targetLatency : null,
      playingDate: playingDate instanceof Date && !Number.isNaN(playingDate.getTime()) ? playingDate.getTime() : null,
    };
  };
</script>
</body></html>`;

export interface PlayerError {
  type: string;
  details: string;
  fatal: boolean;
  url: string | null;
}

/** What the page has seen; errors are every hls.js ERROR event, fatal or not (BUFFER_STALLED_ERROR is `bufferStalledError`). */
export interface PlayerSnapshot extends VideoSnapshot<PlayerError> {
  /** LL-HLS parts hls.js loaded. */
  parts: number;
  /** Whole segments hls.js loaded. */
  segments: number;
  /** The first 20 part URLs, for a failure message. */
  partUrls: string[];
  /** hls.latency: seconds from the playhead to the live edge of the playlist, as hls.js sees it. */
  latency: number | null;
  targetLatency: number | null;
  /** hls.playingDate: the playhead's EXT-X-PROGRAM-DATE-TIME (ms), for wall clock minus media time. */
  playingDate: number | null;
}

export interface HlsPlayer {
  page: Page;
  snapshot(): Promise<PlayerSnapshot>;
  /** The last 400 things hls.js loaded, buffered or failed at, each after the playhead's time: for a failure message. */
  eventLog(): Promise<string[]>;
  close(): Promise<void>;
}

/** Serves the hls.js page and starts playing `src` with the given hls.js config in a new page of `browser`. */
export async function openHlsPlayer(browser: Browser, src: string, config: Record<string, unknown> = {}): Promise<HlsPlayer> {
  const { page, close } = await openPlayerPage(browser, { html: PAGE, scripts: { 'hls.js': nodeModuleFile('hls.js', 'dist/hls.min.js') } }, async (page) => {
    await page.evaluate(([url, options]) => (globalThis as unknown as { startPlayer(src: string, config: unknown): void }).startPlayer(url, options), [src, config] as const);
  });
  return {
    page,
    snapshot: () => page.evaluate(() => (globalThis as unknown as { playerSnapshot(): PlayerSnapshot }).playerSnapshot()),
    eventLog: () =>
      page.evaluate(() => {
        const { head, log } = (globalThis as unknown as { watch: { head: string[]; log: string[] } }).watch;
        return [...head, ...(log.length > 0 ? ['…', ...log] : [])];
      }),
    close,
  };
}

/**
 * Waits until the edge serves both playlists of a live stream with at least `segments` whole
 * segments each (`ll.m3u8` with parts too). A player opened before the playlist exists gets a 404
 * and gives up, as it would in the field; one opened while the stream is younger than its
 * hold-back starts nearer the live edge than the playlist allows (hls.js then plays with less than
 * a part of buffer and stalls at the first late part); standard hls.js starts three target
 * durations from the end.
 */
export async function waitForLivePlaylists(edgeUrl: string, stream: string, { segments = 1 } = {}): Promise<void> {
  await waitFor(`ll.m3u8 and index.m3u8 with ${segments} segment(s) each through the edge`, async () => {
    const [ll, index] = await Promise.all(['ll.m3u8', 'index.m3u8'].map(async (file) => {
      const response = await fetch(`${edgeUrl}/${stream}/${file}`);
      return response.ok ? response.text() : '';
    }));
    const enough = (text: string) => text.split('#EXTINF').length > segments;
    return ll!.includes('#EXT-X-PART:') && enough(ll!) && enough(index!);
  }, { timeoutMs: 60_000, intervalMs: 200 });
}
