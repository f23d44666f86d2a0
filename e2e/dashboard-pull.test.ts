/**
 * Pull sources in the dashboard, in Chromium against a real platform: the streamer starts a pull
 * of an RTMP source (ffmpeg as an RTMP server), sees its status reach "Live" in words, sees the
 * stream play in the page's player, stops it and the pull goes away; a URL the API refuses shows
 * the API's reason in words. ALLOW_PRIVATE_TARGETS=1 lets the pull reach 127.0.0.1.
 */
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../test-support/chromium.js';
import type { Publisher } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { reportPageProblems } from './dashboard-page-problems.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_dashboard_pull_token';
const URL_SECRET = 'pullPassw0rdSecret';
/** Generous: a loaded 2-core machine runs other suites beside this one. */
const LIVE_TIMEOUT_MS = 90_000;
/** The page's document, for functions that run in the page (this file is compiled without the DOM's types). */
declare const document: { querySelector(selector: string): { currentTime?: number } | null };

let platform: Platform;
let browser: Browser;
let source: Publisher | undefined;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', ALLOW_PRIVATE_TARGETS: '1', INGEST_HEARTBEAT_MS: '500', PULL_POLL_SECONDS: '1' });
  browser = await launchChromium();
});
t.teardown(async () => {
  await source?.stop();
  await browser?.close();
  await platform?.stop();
});

t.test('start a pull from the stream page, watch it go live and play, refuse a bad URL in words, stop it', async (t) => {
  const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name: 'Puller' });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const streamId = (await api(token, 'POST', '/v1/streams', { name: 'Pulled in the dashboard' })).json.id as string;
  const sourceUrl = `rtmp://127.0.0.1:${await freePort()}/live/camera`;
  source = await publishTestPattern(sourceUrl, { listen: true });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  reportPageProblems(page, t);
  await page.goto(`${platform.apiUrl}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  await page.goto(`${platform.apiUrl}/#/streams/${streamId}`);
  const panel = page.getByTestId('pull');
  await panel.getByText('No pull source').waitFor();

  // A scheme the platform does not pull: the API's reason, in words (its credentials masked), and no pull.
  await panel.getByLabel('Source URL').fill(`ftp://viewer:${URL_SECRET}@127.0.0.1/live.flv`);
  await panel.getByRole('button', { name: 'Start' }).click();
  const refusal = panel.locator('.notice.error');
  await refusal.waitFor();
  t.match(await refusal.textContent(), /^Please check the form: Url must start with rtmp:\/\/, rtmps:\/\/, srt:\/\/, http:\/\/ or https:\/\//);
  t.notOk((await page.content()).includes(URL_SECRET), 'the refused URL\'s password is not on the page');
  t.equal((await api(token, 'GET', `/v1/streams/${streamId}/pull`)).status, 404, 'the refused URL was not stored');

  await panel.getByLabel('Source URL').fill(sourceUrl);
  await panel.getByRole('button', { name: 'Start' }).click();
  await panel.getByTestId('pull-current').getByText(sourceUrl).waitFor();
  t.equal(await refusal.isHidden(), true, 'the earlier refusal is cleared');
  await panel.getByTestId('pull-status').getByText('Live: the platform is publishing the source').waitFor({ timeout: LIVE_TIMEOUT_MS });
  t.pass('the pull status reaches live, in words, with the page refresh');

  await page.waitForFunction(() => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > 1, undefined, { timeout: LIVE_TIMEOUT_MS });
  const first = await page.evaluate(() => document.querySelector('[data-testid="player"]')?.currentTime ?? 0);
  await page.waitForFunction((since) => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > since + 1, first, { timeout: LIVE_TIMEOUT_MS });
  t.pass('the page’s player plays the pulled stream through the edge');

  await panel.getByTestId('pull-stop').click();
  await panel.getByText('No pull source').waitFor();
  await panel.getByLabel('Source URL').waitFor();
  t.equal((await api(token, 'GET', `/v1/streams/${streamId}/pull`)).status, 404, 'Stop deleted the pull');
  await page.locator('[data-state="offline"].badge').first().waitFor({ timeout: LIVE_TIMEOUT_MS });
  t.pass('the stream goes offline once the pull stops');
});
