/**
 * Issue 15's "go live from the browser", as a streamer does it: Debian's Chromium (through
 * playwright-core, with its fake camera and microphone and the permission prompt accepted) signs in
 * to the dashboard, opens a stream, picks the camera and clicks Start. The page records WebM with
 * MediaRecorder and sends it over the WebSocket ingest URL the API lists (under the dashboard's own
 * Content-Security-Policy); the stream goes live, a segment served by the edge decodes as H.264 +
 * AAC, and the page's own player plays it. Stop ends the stream. The same path through HAProxy's
 * wss:// front is covered by e2e/tls-front.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../test-support/chromium.js';
import { ffprobe } from '../test-support/ffmpeg.js';
import { playlistSegments } from '../test-support/newest-segment.js';
import { repoRoot } from '../test-support/repo-root.js';
import { waitFor } from '../test-support/wait-for.js';
import { reportPageProblems } from './dashboard-page-problems.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_dashboard_go_live_token';
/** Generous: a loaded 2-core machine runs other suites beside this one, and VP8 is encoded by the origin. */
const LIVE_TIMEOUT_MS = 90_000;
const screenshots = path.join(repoRoot, '.run', 'screenshots');
/** The page's document, for functions that run in the page (this file is compiled without the DOM's types). */
declare const document: { querySelector(selector: string): { currentTime?: number } | null };

let platform: Platform;
let browser: Browser;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
  browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
  await mkdir(screenshots, { recursive: true });
});
t.teardown(async () => {
  await browser?.close();
  await platform?.stop();
});

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // The WebSocket must be allowed by the page's own policy: a blocked connection fails the test.
  reportPageProblems(page, t);
  return page;
}

t.test('Start with the camera goes live, plays through the edge and in the page; Stop ends it', async (t) => {
  const api = (method: string, apiPath: string) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, method === 'POST' ? { name: 'From my browser' } : undefined);
  const stream = (await api('POST', '/v1/streams')).json as { id: string };
  await waitFor('the origin in the WebSocket ingest list', async () => (await api('GET', '/v1/ingests?protocol=websocket')).json.ingests[0], {
    timeoutMs: 30_000,
  });

  const page = await openPage();
  await page.goto(`${platform.apiUrl}/`);
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  await page.getByRole('link', { name: 'From my browser' }).click();
  await page.getByRole('heading', { name: 'From my browser' }).waitFor();

  const panel = page.getByTestId('browser-go-live');
  const state = panel.getByTestId('go-live-state');
  t.equal(await state.getAttribute('data-state'), 'idle');
  await panel.getByLabel('Source').selectOption('camera');
  await panel.getByRole('button', { name: 'Start' }).click();
  await panel.locator('[data-testid="go-live-state"][data-state="sending"], [data-testid="go-live-state"][data-state="live"]').waitFor({
    timeout: LIVE_TIMEOUT_MS,
  });
  t.comment(`the page says: ${await state.textContent()}`);
  await panel.locator('[data-testid="go-live-state"][data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS }).catch(async (error: Error) => {
    throw new Error(`${error.message}\npage: ${await state.textContent()}\norigin: ${platform.logs('origin').slice(-3000)}`);
  });
  t.match(await state.textContent(), /^Live: this browser is broadcasting/, 'the page says it is live');
  t.match((await api('GET', `/v1/streams/${stream.id}/lifecycle`)).json, { live: true }, 'the API says so too');

  const segments = await waitFor('the edge to serve the stream', async () => {
    const uris = await playlistSegments(platform.edgeUrl, stream.id);
    return uris && uris.length >= 2 ? uris : undefined;
  }, { timeoutMs: LIVE_TIMEOUT_MS });
  const probe = await ffprobe(`${platform.edgeUrl}/${stream.id}/${segments.at(-1)}`);
  t.equal(probe.errors, '', 'ffprobe decodes a segment served by the edge');
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], "the browser's WebM came out as H.264 + AAC");
  t.ok(probe.packets.some((packet) => packet.codec_type === 'video'), 'with video');

  // The page's own player (the Watch section) plays the stream through the edge.
  await page.waitForFunction(() => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > 1, undefined, { timeout: LIVE_TIMEOUT_MS });
  const first = await page.evaluate(() => document.querySelector('[data-testid="player"]')?.currentTime ?? 0);
  await page.waitForFunction((since) => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > since + 1, first, {
    timeout: LIVE_TIMEOUT_MS,
  });
  t.pass("the page's player plays the browser's broadcast");
  await page.screenshot({ path: path.join(screenshots, 'dashboard-go-live.png'), fullPage: true });

  await panel.getByRole('button', { name: 'Stop' }).click();
  t.equal(await state.getAttribute('data-state'), 'stopped', 'Stop says stopped');
  await waitFor('the stream to end', async () => (await api('GET', `/v1/streams/${stream.id}/lifecycle`)).json.live === false, {
    timeoutMs: LIVE_TIMEOUT_MS,
  });
  t.pass('the stream ended once Stop was clicked');
  t.ok(await panel.getByRole('button', { name: 'Start' }).isEnabled(), 'Start can be clicked again');
});
