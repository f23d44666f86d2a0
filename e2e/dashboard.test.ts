/**
 * Issue 11's user path, entirely in the browser (Debian's Chromium through playwright-core): the
 * admin signs in and makes a user; the user signs in with their token, creates a stream, reveals
 * and copies its key, goes live with ffmpeg using the settings the page shows, watches the player
 * play and the viewer count rise, adds a restream target that goes live, uploads a fallback video,
 * ends the broadcast and replays its recording, and deletes the stream. Screenshots of each page go to .run/screenshots/ (not committed).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import t from 'tap';
import { FLV_TAG_VIDEO } from '../origin/src/media/flv-tag.js';
import { launchChromium } from '../test-support/chromium.js';
import type { Publisher } from '../test-support/ffmpeg.js';
import { repoRoot } from '../test-support/repo-root.js';
import { startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { reportPageProblems } from './dashboard-page-problems.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_dashboard_token_123';
const TARGET_KEY = 'dashboard-target-key';
/** Generous: a loaded 2-core machine runs other suites beside this one. */
const LIVE_TIMEOUT_MS = 60_000;
const screenshots = path.join(repoRoot, '.run', 'screenshots');
/**
 * The page's document, for functions that run in the page (this file is compiled without the DOM's
 * types). Functions, not strings: the dashboard's policy forbids evaluating strings.
 */
declare const document: {
  querySelector(selector: string): { textContent: string | null; currentTime?: number; naturalHeight?: number } | null;
};
const videoTime = () => document.querySelector('[data-testid="player"]')?.currentTime ?? 0;

let platform: Platform;
let receiver: RtmpReceiver;
let browser: Browser;
let scratch: string;
const publishers: Publisher[] = [];

t.before(async () => {
  receiver = await startRtmpReceiver({ expectedKey: TARGET_KEY });
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', ALLOW_PRIVATE_TARGETS: '1', INGEST_HEARTBEAT_MS: '500' });
  browser = await launchChromium();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-dashboard-'));
  await mkdir(screenshots, { recursive: true });
});
t.teardown(async () => {
  for (const publisher of publishers) await publisher.stop();
  await browser?.close();
  await platform?.stop();
  await receiver?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `dashboard-${name}.png`), fullPage: true });
}

async function newTab(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.apiUrl });
  const page = await context.newPage();
  reportPageProblems(page, t);
  return { context, page };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${platform.apiUrl}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}

/** A 4 s clip made with ffmpeg, as a user would pick from their disk. */
async function makeClip(): Promise<string> {
  const clip = path.join(scratch, 'fallback.mp4');
  await execFileAsync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
  ]);
  return clip;
}

t.test('a wrong token is refused in words, and nothing is kept', async (t) => {
  const { context, page } = await newTab();
  await page.goto(`${platform.apiUrl}/`);
  await page.getByLabel('API token').fill('lst_aaaaaaaa_wrongwrongwrongwrongwrongwrong12');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const notice = page.locator('.notice.error');
  await notice.waitFor();
  t.match(await notice.textContent(), /^Your API token was not accepted/);
  t.equal(await page.evaluate('sessionStorage.length'), 0, 'a refused token is not stored');
  await shoot(page, '1-sign-in-refused');
  await context.close();
});

t.test('from sign-in to live with restreaming, in the browser', async (t) => {
  // The admin makes a user and hands over the token the page shows once.
  const admin = await newTab();
  await signIn(admin.page, ADMIN_TOKEN);
  t.equal(admin.page.url().includes(ADMIN_TOKEN), false, 'the token is never in the URL');
  await admin.page.getByRole('link', { name: 'Users' }).click();
  await admin.page.getByLabel('New user').fill('Alice');
  await admin.page.getByRole('button', { name: 'Create user' }).click();
  const issued = admin.page.getByTestId('issued-token').locator('code');
  await issued.waitFor();
  const aliceToken = (await issued.textContent()) ?? '';
  t.match(aliceToken, /^lst_[a-z0-9]{8}_/, 'a user token is shown once');
  await admin.page.getByTestId('users').getByText('Alice').waitFor();
  // The admin sets Alice's recording quota: the prompt offers the default, 100 GB.
  admin.page.once('dialog', (dialog) => {
    t.equal(dialog.defaultValue(), '100', 'the prompt offers the current quota');
    void dialog.accept('50');
  });
  await admin.page.getByRole('button', { name: 'Recording quota…' }).click();
  await admin.page.getByText("Alice's recording quota: 50.0 GB; their recordings take 0 B.").waitFor();
  await shoot(admin.page, '2-admin-users');
  await admin.context.close();

  const { page } = await newTab();
  await signIn(page, aliceToken);
  t.equal(await page.getByTestId('signed-in-as').textContent(), 'Alice');
  t.equal(await page.evaluate("sessionStorage.getItem('livestack.apiToken')"), aliceToken, 'kept for this tab only');
  t.equal(await page.evaluate('localStorage.length'), 0, 'nothing kept beyond the tab');

  // Create a stream: the page opens it.
  await page.getByLabel('New stream').fill('Alice live');
  await page.getByRole('button', { name: 'Create stream' }).click();
  await page.getByRole('heading', { name: 'Alice live' }).waitFor();
  const streamId = decodeURIComponent(page.url().split('/').pop() ?? '');
  t.match(streamId, /^[a-z0-9]{8}$/);

  // The key is hidden until revealed; Copy puts it on the clipboard either way.
  const keyText = page.getByTestId('stream-key');
  await keyText.waitFor();
  t.notMatch(await keyText.textContent(), /publish_/, 'hidden at first');
  t.notMatch(await page.getByTestId('ffmpeg-command').textContent(), /publish_/, 'the command hides it too');
  await page.getByTestId('reveal-key').click();
  const firstKey = (await keyText.textContent()) ?? '';
  t.match(firstKey, new RegExp(`^publish_${streamId}_`));

  // Reset asks first: dismissed, nothing changes; accepted, a new key.
  page.once('dialog', (dialog) => void dialog.dismiss());
  await page.getByTestId('reset-key').click();
  t.equal(await keyText.textContent(), firstKey, 'dismissed: same key');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('reset-key').click();
  await page.waitForFunction((old) => document.querySelector('[data-testid="stream-key"]')?.textContent !== old, firstKey);
  await page.getByTestId('reveal-key').click();
  const key = (await keyText.textContent()) ?? '';
  t.match(key, new RegExp(`^publish_${streamId}_`));
  t.not(key, firstKey, 'a new key after the reset');
  await page.getByTestId('publish').getByRole('button', { name: 'Copy', exact: true }).nth(1).click();
  t.equal(await page.evaluate('navigator.clipboard.readText()'), key, 'Copy copies the key');
  const server = (await page.getByTestId('obs-server').textContent()) ?? '';
  t.match(server, /^rtmp:\/\/localhost:\d+\/stream$/);
  await shoot(page, '3-stream-offline');

  // ABR is a switch in Settings, saved through the API (from the next broadcast: this one).
  const settings = page.getByTestId('stream-settings');
  await settings.getByLabel(/Adaptive bitrate/).check();
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await settings.locator('.notice').getByText(/^Saved\./).waitFor();
  const saved = await fetch(`${platform.apiUrl}/v1/streams/${streamId}`, { headers: { authorization: `Bearer ${aliceToken}` } });
  t.match(await saved.json(), { abr: { enabled: true } }, 'the switch turned ABR on for the stream');

  // Go live with what the page says to type into OBS.
  const publisher = await publishTestPattern(`${server.replace('localhost', '127.0.0.1')}/${key}`, { audioChannels: 2 });
  publishers.push(publisher);
  await page.locator('[data-state="live"].badge').first().waitFor({ timeout: LIVE_TIMEOUT_MS });

  // The player plays: its clock advances.
  await page.waitForFunction(() => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > 1, undefined, { timeout: LIVE_TIMEOUT_MS });
  const first = await page.evaluate(videoTime);
  await page.waitForFunction((since) => (document.querySelector('[data-testid="player"]')?.currentTime ?? 0) > since + 1, first, { timeout: LIVE_TIMEOUT_MS });
  t.pass('the embedded player plays the stream through the edge');
  // The player is a viewer the edge counts.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-viewers"]')?.textContent) >= 1, undefined, {
    timeout: LIVE_TIMEOUT_MS,
  });
  t.pass('the viewer count shows the page’s own player');

  // A malformed target is refused in words, not JSON.
  await page.getByLabel('Platform', { exact: true }).selectOption('custom');
  await page.getByLabel('Server URL').fill(`rtmp://127.0.0.1:${receiver.port}/live`);
  await page.getByTestId('target-form').getByRole('button', { name: 'Add target' }).click();
  const targetNotice = page.getByTestId('restream').locator('.notice.error');
  await targetNotice.waitFor();
  t.match(await targetNotice.textContent(), /^Please check the form: Stream key/);
  t.notMatch(await targetNotice.textContent(), /[{}]|LIVE_ERR/);

  // A restream target to a local receiver goes live.
  await page.getByLabel('Stream key (from the platform)').fill(TARGET_KEY);
  await page.locator('#target-name').fill('My server');
  await page.getByTestId('target-form').getByRole('button', { name: 'Add target' }).click();
  await page.getByTestId('targets').locator('[data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
  await waitFor('the receiver to get video', () => receiver.publishes.some((publish) => publish.tags.some((tag) => tag.type === FLV_TAG_VIDEO)));
  t.pass('the receiver gets the stream');
  t.notMatch(await page.getByTestId('targets').textContent(), new RegExp(TARGET_KEY), 'the target key is shown masked');

  // The fallback video: progress to 100 %, then the conversion, then its details.
  await page.locator('#fallback-file').setInputFiles(await makeClip());
  await page.getByTestId('fallback').getByRole('button', { name: 'Upload' }).click();
  await page.getByTestId('fallback-state').getByText('Converted: ready.').waitFor({ timeout: LIVE_TIMEOUT_MS });
  t.equal(await page.getByTestId('fallback-progress').getAttribute('value'), '100');
  t.match(await page.getByTestId('fallback-current').textContent(), /0:04.*320x240/);

  // The lifecycle names what the encoder sends.
  await page.getByTestId('lifecycle').getByText('640x360').waitFor({ timeout: LIVE_TIMEOUT_MS });
  t.match(await page.getByTestId('lifecycle').textContent(), /H\.264 High, AAC-LC 48 kHz stereo/);
  // The origin's ABR state in words: a 360p source has no rung below it, so no ladder is made.
  await page.getByTestId('lifecycle').getByText("Source only: no rendition is below the source's height").waitFor({ timeout: LIVE_TIMEOUT_MS });
  await shoot(page, '4-stream-live');

  // The list shows it live with its figures.
  await page.getByRole('link', { name: '← Streams' }).click();
  const row = page.locator(`[data-stream-id="${streamId}"]`);
  await row.locator('[data-state="live"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
  await row.getByText('640x360 30 fps').waitFor({ timeout: LIVE_TIMEOUT_MS });
  await shoot(page, '5-stream-list');
  await page.setViewportSize({ width: 390, height: 844 });
  t.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling on a phone');
  await shoot(page, '6-stream-list-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The streamer ends the broadcast: the session becomes a recording that replays in the page.
  await row.getByRole('link', { name: 'Alice live' }).click();
  await publisher.stop();
  const recording = page.getByTestId('videos').locator('[data-state="ready"]');
  await recording.waitFor({ timeout: LIVE_TIMEOUT_MS });
  // Functions run in the page: each names its element itself.
  await page.waitForFunction(() => (document.querySelector('[data-testid="videos"] img[data-testid="thumbnail"]')?.naturalHeight ?? 0) > 0, undefined, {
    timeout: LIVE_TIMEOUT_MS,
  });
  t.equal(
    await page.evaluate(() => document.querySelector('[data-testid="videos"] img[data-testid="thumbnail"]')?.naturalHeight),
    54,
    'the ready recording shows its thumbnail from the edge, at the height asked',
  );
  await page.getByTestId('videos').getByRole('button', { name: 'Play' }).first().click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="replay"]')?.currentTime ?? 0) > 1, undefined, { timeout: LIVE_TIMEOUT_MS });
  t.pass('the recording replays through the edge');
  const storage = page.getByTestId('storage');
  await page.waitForFunction(() => /[1-9]/.test(document.querySelector('[data-testid="storage"]')?.textContent ?? ''), undefined, { timeout: LIVE_TIMEOUT_MS });
  t.match(await storage.textContent(), /^Your recordings take [0-9.]+ [KM]B of your 50\.0 GB quota\.$/, 'the streamer sees the recordings against the quota the admin set');
  await shoot(page, '7-recording');

  // Delete the stream, after a confirmation: its recordings go with it.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('delete-stream').click();
  await page.getByRole('heading', { name: 'Streams' }).waitFor();
  await page.getByText('No streams yet').waitFor();
  t.equal((await v1Request(platform.apiUrl, aliceToken, 'GET', `/v1/streams/${streamId}`)).status, 404, 'gone from the API');
});
