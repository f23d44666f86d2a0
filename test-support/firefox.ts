/**
 * Headless Firefox for the dashboard's Firefox test: the distribution's own build (Debian's
 * firefox-esr, installed by scripts/ensure-deps.sh --tests), driven over WebDriver BiDi by
 * puppeteer-core, which drives a stock Firefox (playwright needs a patched one it cannot download
 * here) and downloads no browser of its own.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];

export function firefoxPath(): string {
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no Firefox at ${CANDIDATES.join(' or ')}: run scripts/ensure-deps.sh --tests`);
  return found;
}

/** Media may play without a click (the test's player is muted anyway); no traffic of its own. */
export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    extraPrefsFirefox: {
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
      'app.update.enabled': false,
      'browser.safebrowsing.downloads.remote.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
    },
  });
}
