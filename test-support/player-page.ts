/**
 * A web page for a player test: a local HTTP server on its own port serving one HTML page and the
 * player library's file from node_modules (e.g. hls.js's or dash.js's dist build). The page is on
 * a different origin than the edge, as a real site is, so it plays the stream cross-origin and the
 * edge's CORS headers are part of what the test covers.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from './repo-root.js';

/**
 * What every player page watches the way a viewer would, as a page script: `watchVideo(video,
 * watch)` records into `watch` the first `playing` (`playingAt`) and every `waiting` after it
 * (`stalls`, with what was buffered), and `videoSnapshot(video, watch)` reads those with the
 * video's clock. A page adds its player's own errors to `watch.errors` and fields to the snapshot.
 */
export const VIDEO_WATCH_SCRIPT = `
  window.watchVideo = (video, watch) => {
    video.addEventListener('playing', () => {
      if (watch.playingAt === null) watch.playingAt = Date.now();
    });
    video.addEventListener('waiting', () => {
      if (watch.playingAt === null) return;
      const buffered = [];
      for (let i = 0; i < video.buffered.length; i++) buffered.push([video.buffered.start(i), video.buffered.end(i)]);
      watch.stalls.push({ at: Date.now(), currentTime: video.currentTime, buffered });
    });
  };
  window.videoSnapshot = (video, watch) => ({
    now: Date.now(),
    currentTime: video.currentTime,
    paused: video.paused,
    playingAt: watch.playingAt,
    stalls: watch.stalls.slice(),
    errors: watch.errors.slice(),
  });
`;

/** What videoSnapshot reads (VIDEO_WATCH_SCRIPT); `E` is the player's error record. */
export interface VideoSnapshot<E> {
  /** The page's wall clock (ms) when the snapshot was taken. */
  now: number;
  /** video.currentTime, seconds. */
  currentTime: number;
  paused: boolean;
  /** Wall clock (ms) of the first `playing` event; null before playback started. */
  playingAt: number | null;
  /** Every `waiting` event after playback started: the viewer saw the picture stop. */
  stalls: Array<{ at: number; currentTime: number; buffered: Array<[number, number]> }>;
  errors: E[];
}

export interface PlayerPageContent {
  /** The page, served at `/`; it loads the scripts by the names given in `scripts`. */
  html: string;
  /** Script name (served at `/<name>`) to a file under the repository's node_modules/. */
  scripts: Record<string, string>;
}

export interface PlayerPage {
  /** The page's address, for `page.goto()`. */
  url: string;
  close(): Promise<void>;
}

/** A file of an installed package, e.g. `nodeModuleFile('hls.js', 'dist/hls.min.js')`. */
export function nodeModuleFile(pkg: string, file: string): string {
  return path.join(repoRoot, 'node_modules', pkg, file);
}

export async function servePlayerPage(content: PlayerPageContent): Promise<PlayerPage> {
  // Read once: a missing file fails here, naming it, instead of as a blank page in the browser.
  const scripts = new Map<string, Buffer>();
  for (const [name, file] of Object.entries(content.scripts)) scripts.set(`/${name}`, await readFile(file));
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://page').pathname;
    const script = scripts.get(pathname);
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(content.html);
    } else if (script) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  // Port 0: the server is in this process and binds at once, so no port needs reserving.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A served player page open in its own browser context; `close()` closes both. */
export interface OpenPlayerPage {
  page: Page;
  close(): Promise<void>;
}

/**
 * Serves `content`, opens it in a new context of `browser` and runs `start` on the page (e.g. to
 * call the page's `startPlayer`); if that fails, the context and the server are closed again.
 */
export async function openPlayerPage(browser: Browser, content: PlayerPageContent, start: (page: Page) => Promise<void>): Promise<OpenPlayerPage> {
  const served = await servePlayerPage(content);
  const context = await browser.newContext();
  const close = async () => {
    await context.close();
    await served.close();
  };
  try {
    const page = await context.newPage();
    await page.goto(served.url);
    await start(page);
    return { page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
