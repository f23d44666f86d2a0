import type { Page } from 'playwright-core';

/** What the dashboard tests report through: tap's t.fail and t.comment. */
interface Reporter {
  fail(message: string): unknown;
  comment(message: string): unknown;
}

/**
 * Fails the test on the dashboard page's uncaught errors and on anything its own
 * Content-Security-Policy blocks (a script, worker, fetch or WebSocket the page needs is a defect);
 * other console errors and failed requests are noted.
 */
export function reportPageProblems(page: Page, t: Reporter): void {
  page.on('pageerror', (error) => t.fail(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (message.text().includes('Content Security Policy')) t.fail(`blocked by the page's policy: ${message.text()}`);
    else t.comment(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => t.comment(`request failed: ${request.url()} ${request.failure()?.errorText}`));
}
