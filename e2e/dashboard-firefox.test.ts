/**
 * The dashboard in Firefox (issue 11: "works in current Chromium and Firefox"): sign in, create a
 * stream, reveal its key, go live with ffmpeg using the settings the page shows, see the status turn
 * live and the hls.js player play, delete the stream after its confirmation. The full user path
 * runs in Chromium (e2e/dashboard.test.ts); this one proves the page's modules, policy, player and
 * dialogs in the other engine.
 */
import type { Browser, Page } from 'puppeteer-core';
import t from 'tap';
import type { Publisher } from '../test-support/ffmpeg.js';
import { launchFirefox } from '../test-support/firefox.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_dashboard_firefox_123';
/** Generous: a loaded 2-core machine runs other suites beside this one. */
const LIVE_TIMEOUT_MS = 60_000;

/** The page's document, for functions that run in the page (this file has no DOM types). */
declare const document: {
  querySelector(selector: string): { textContent: string | null; currentTime?: number; getAttribute(name: string): string | null } | null;
};

let platform: Platform;
let browser: Browser;
let publisher: Publisher | undefined;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
  browser = await launchFirefox();
});
t.teardown(async () => {
  await publisher?.stop();
  await browser?.close();
  await platform?.stop();
});

const textOf = (page: Page, selector: string) => page.$eval(selector, (element) => element.textContent ?? '');

t.test('Firefox: sign in, create a stream, go live, watch it play, delete it', async (t) => {
  const page = await browser.newPage();
  // Each step waits for its outcome as long as a loaded 2-core CI may need (puppeteer's default is
  // 30 s; at load 30 creating a stream took longer).
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (error) => t.fail(`page error: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) t.fail(`blocked by the page's policy: ${message.text()}`);
  });
  await page.goto(`${platform.apiUrl}/`);
  await page.waitForSelector('#token');
  await page.type('#token', ADMIN_TOKEN);
  await page.click('form button[type="submit"]');
  await page.waitForSelector('[data-testid="signed-in-as"]');
  t.equal(await textOf(page, '[data-testid="signed-in-as"]'), 'admin');

  await page.waitForSelector('#new-stream-name');
  await page.type('#new-stream-name', 'Firefox live');
  await page.click('form.inline button[type="submit"]');
  await page.waitForSelector('[data-testid="stream-key"]');
  const streamId = decodeURIComponent(page.url().split('/').pop() ?? '');
  t.notMatch(await textOf(page, '[data-testid="stream-key"]'), /publish_/, 'the key starts hidden');
  await page.click('[data-testid="reveal-key"]');
  const key = await textOf(page, '[data-testid="stream-key"]');
  t.match(key, new RegExp(`^publish_${streamId}_`));
  const server = await textOf(page, '[data-testid="obs-server"]');

  publisher = await publishTestPattern(`${server.replace('localhost', '127.0.0.1')}/${key}`);
  await page.waitForSelector('.badge[data-state="live"]', { timeout: LIVE_TIMEOUT_MS });
  await page.waitForFunction(() => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > 1, { timeout: LIVE_TIMEOUT_MS });
  const first = await page.evaluate(() => document.querySelector('[data-testid="player"]')?.currentTime ?? 0);
  await page.waitForFunction((since: number) => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > since + 1, { timeout: LIVE_TIMEOUT_MS }, first);
  t.pass('the hls.js player plays the stream in Firefox');

  page.once('dialog', (dialog) => void dialog.accept());
  await page.click('[data-testid="delete-stream"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="stream-list"]') !== null, { timeout: LIVE_TIMEOUT_MS });
  t.equal((await v1Request(platform.apiUrl, ADMIN_TOKEN, 'GET', `/v1/streams/${streamId}`)).status, 404, 'deleted after the confirmation');
  await page.close();
});
