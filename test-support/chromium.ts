/**
 * Headless Chromium for player tests: Debian's own `chromium` package (scripts/ensure-deps.sh
 * --tests installs it), driven through playwright-core, which downloads no browser of its own.
 * Debian's build plays H.264/AAC in Media Source Extensions, which is what hls.js and dash.js need.
 */
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags every test browser gets: no sandbox (tests run as root in containers), no GPU, and no
 * traffic of its own (updates, sync, background requests), so the only requests are the page's.
 * Autoplay without a user gesture lets a muted `<video>` start on `play()` with nobody clicking.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** `extraFlags`: e.g. `--ignore-certificate-errors` for a page playing from a self-signed HTTPS server. */
export function launchChromium(extraFlags: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS, ...extraFlags] });
}
