/**
 * dash.js playing a stream in a headless Chromium page, watched from the test: the page records
 * when playback started, every `waiting` after that and every dash.js error, and `snapshot()`
 * reads it. The page is served by test-support/player-page.ts, on its own origin.
 */
import type { Browser, Page } from 'playwright-core';
import { nodeModuleFile, openPlayerPage, VIDEO_WATCH_SCRIPT, type VideoSnapshot } from './player-page.js';
import { waitFor } from './wait-for.js';

/** The page: a muted `<video>` and `startPlayer(src)`, which records into `window.watch`. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>dash.js player test</title></head>
<body>
<video id="video" muted playsinline autoplay></video>
<script src="/dash.js"></script>
<script>${VIDEO_WATCH_SCRIPT}</script>
<script>
  window.watch = { playingAt: null, stalls: [], errors: [], fragments: [] };
  window.startPlayer = (src) => {
    const video = document.getElementById('video');
    const watch = window.watch;
    const player = dashjs.MediaPlayer().create();
    window.player = player;
    watchVideo(video, watch);
    player.on(dashjs.MediaPlayer.events.ERROR, (event) => {
      watch.errors.push({ code: event.error?.code ?? null, message: String(event.error?.message ?? event.error ?? '') });
    });
    player.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (event) => {
      watch.errors.push({ code: 'playback', message: String(event.error?.message ?? event.error ?? '') });
    });
    player.on(dashjs.MediaPlayer.events.FRAGMENT_LOADING_COMPLETED, (event) => {
      if (watch.fragments.length < 200) watch.fragments.push({ type: event.request?.mediaType ?? null, url: event.request?.url ?? null });
    });
    player.initialize(video, src, true);
  };
  // dash.js throws from its getters until the stream is set up.
  const attempt = (read, fallback) => {
    try {
      return read();
    } catch {
      return fallback;
    }
  };
  window.playerSnapshot = () => {
    const video = document.getElementById('video');
    const player = window.player;
    return {
      ...videoSnapshot(video, window.watch),
      fragments: window.watch.fragments.slice(),
      liveDelay: attempt(() => player.getCurrentLiveLatency(), null),
      tracks: ['video', 'audio'].filter((type) => attempt(() => player.getCurrentTrackFor(type), null)),
    };
  };
</script>
</body></html>`;

/** Every dash.js ERROR and PLAYBACK_ERROR event. */
export interface DashPlayerError {
  code: number | string | null;
  message: string;
}

export interface DashPlayerSnapshot extends VideoSnapshot<DashPlayerError> {
  /** The first 200 segments dash.js loaded, by media type. */
  fragments: Array<{ type: string | null; url: string | null }>;
  /** dash.js's latency to the live edge, seconds. */
  liveDelay: number | null;
  /** The media types dash.js plays. */
  tracks: string[];
}

export interface DashPlayer {
  page: Page;
  snapshot(): Promise<DashPlayerSnapshot>;
  close(): Promise<void>;
}

/** Serves the dash.js page and starts playing `src` in a new page of `browser`. */
export async function openDashPlayer(browser: Browser, src: string): Promise<DashPlayer> {
  const { page, close } = await openPlayerPage(browser, { html: PAGE, scripts: { 'dash.js': nodeModuleFile('dashjs', 'dist/dash.all.min.js') } }, async (page) => {
    await page.evaluate((url) => (globalThis as unknown as { startPlayer(src: string): void }).startPlayer(url), src);
  });
  return {
    page,
    snapshot: () => page.evaluate(() => (globalThis as unknown as { playerSnapshot(): DashPlayerSnapshot }).playerSnapshot()),
    close,
  };
}

/**
 * The first snapshot in which dash.js plays (or has raised an error event: the caller asserts
 * there is none); fails after a minute with the player's last state.
 */
export async function waitForDashPlayback(player: DashPlayer): Promise<DashPlayerSnapshot> {
  let last: DashPlayerSnapshot | undefined;
  return waitFor('dash.js to start playing', async () => {
    last = await player.snapshot();
    return (last.playingAt !== null && last.currentTime > 0) || last.errors.length > 0 ? last : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 }).catch((error: Error) => {
    throw new Error(`${error.message}; the player's last state: ${JSON.stringify(last)}`);
  });
}

/**
 * The edge's `index.mpd` once every track lists at least `segments` segments (the stream has run
 * a while): a player opened earlier starts with too little behind the live edge.
 */
export async function waitForLiveManifest(edgeUrl: string, stream: string, segments: number): Promise<string> {
  return waitFor(`${stream}/index.mpd with ${segments} segments per track through the edge`, async () => {
    const response = await fetch(`${edgeUrl}/${stream}/index.mpd`);
    if (!response.ok) return undefined;
    const text = await response.text();
    const counts = [...text.matchAll(/<SegmentTimeline>([\s\S]*?)<\/SegmentTimeline>/g)].map(([, timeline]) =>
      [...timeline!.matchAll(/<S [^>]*?(?:r="(\d+)")?\/>/g)].reduce((sum, [, r]) => sum + 1 + Number(r ?? 0), 0),
    );
    return counts.length > 0 && counts.every((count) => count >= segments) ? text : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500 });
}
