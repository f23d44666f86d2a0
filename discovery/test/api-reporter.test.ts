import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createLogger } from '../../service-kit/src/logger.js';
import { freePort } from '../../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { waitFor } from '../../test-support/wait-for.js';
import { ApiReporter } from '../src/api-reporter.js';
import { ApiRejectedError, ApiUnavailableError } from '../src/errors.js';
import { ReportOutbox } from '../src/report-outbox.js';

const logger = createLogger('discovery-test', process.env.LOG_LEVEL ?? 'silent');
const ORIGIN_HOST = '127.0.0.1:8080';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
  /** Client port: the same port means the same keep-alive connection. */
  remotePort: number;
  at: number;
  status: number;
}

/** A tiny stand-in for the API: records requests; answers 503 while `unavailable` > 0. */
async function startApi(t: { teardown(fn: () => unknown): void }) {
  const requests: RecordedRequest[] = [];
  const api = { requests, unavailable: 0, status: { POST: 200, DELETE: 204 } as Record<string, number> };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      let status = api.status[req.method ?? ''] ?? 404;
      if (api.unavailable > 0) {
        api.unavailable -= 1;
        status = 503;
      }
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body: raw === '' ? undefined : JSON.parse(raw),
        remotePort: req.socket.remotePort ?? 0,
        at: Date.now(),
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 204 ? undefined : JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.teardown(() => server.closeAllConnections());
  return { ...api, api, url: `http://127.0.0.1:${port}` };
}

function reporterFor(t: { teardown(fn: () => unknown): void }, apiUrl: string) {
  const reporter = new ApiReporter({ apiUrl, internalToken: TEST_INTERNAL_TOKEN, originHost: ORIGIN_HOST, timeoutMs: 1_000 });
  t.teardown(() => reporter.close());
  return reporter;
}

t.test('register POSTs {name, manifest, host}; end adds state and grace; withdraw DELETEs with ?host=, over one kept-alive connection', async (t) => {
  const { api, url } = await startApi(t);
  const reporter = reporterFor(t, url);
  // Spaced like heartbeats: undici may open a second connection for a request sent in the very
  // tick the first one completes, which is fine; an idle connection must be reused.
  await reporter.register({ name: 'golive', manifest: 'index.m3u8' });
  await sleep(50);
  await reporter.register({ name: 'golive', manifest: 'index.m3u8' });
  await sleep(50);
  await reporter.end({ name: 'golive', manifest: 'index.m3u8', graceSeconds: 60 });
  await sleep(50);
  await reporter.withdraw('golive');
  t.same(
    api.requests.map(({ method, url, body }) => ({ method, url, body })),
    [
      { method: 'POST', url: '/streams', body: { name: 'golive', manifest: 'index.m3u8', host: ORIGIN_HOST } },
      { method: 'POST', url: '/streams', body: { name: 'golive', manifest: 'index.m3u8', host: ORIGIN_HOST } },
      {
        method: 'POST',
        url: '/streams',
        body: { name: 'golive', manifest: 'index.m3u8', host: ORIGIN_HOST, state: 'ended', grace_seconds: 60 },
      },
      { method: 'DELETE', url: '/streams/golive?host=127.0.0.1%3A8080', body: undefined },
    ],
  );
  t.equal(new Set(api.requests.map((r) => r.remotePort)).size, 1, 'keep-alive: one connection reused');
});

t.test('errors: 503 is unavailable, 400 is rejected, 404 on withdraw is fine, refused connection is unavailable', async (t) => {
  const { api, url } = await startApi(t);
  const reporter = reporterFor(t, url);
  api.unavailable = 1;
  const unavailable = await reporter.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(unavailable instanceof ApiUnavailableError);
  t.equal((unavailable as ApiUnavailableError).status, 503);
  api.status.POST = 400;
  const rejection = await reporter.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(rejection instanceof ApiRejectedError);
  t.match((rejection as ApiRejectedError).message, /400/);
  api.status.DELETE = 404;
  await reporter.withdraw('a');

  const nobody = reporterFor(t, `http://127.0.0.1:${await freePort()}`);
  const refused = await nobody.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(refused instanceof ApiUnavailableError);
  t.equal((refused as ApiUnavailableError).code, 'LIVE_ERR_DISCOVERY_API_UNAVAILABLE');
});

t.test('through the outbox: 503s are retried with growing delays, then every queued stream is reported', async (t) => {
  const { api, url } = await startApi(t);
  const reporter = reporterFor(t, url);
  const outbox = new ReportOutbox({ reporter, backoff: { initialMs: 40, maxMs: 400 }, logger });
  t.teardown(() => outbox.shutdown([]));
  api.unavailable = 4;
  outbox.submit({ kind: 'register', report: { name: 'first', manifest: 'index.m3u8' } });
  await waitFor('API marked down', () => !outbox.apiReachable);
  outbox.submit({ kind: 'register', report: { name: 'second', manifest: 'index.m3u8' } });
  outbox.submit({ kind: 'register', report: { name: 'third', manifest: 'index.m3u8' } });

  await waitFor('all three registered', () => api.requests.filter((r) => r.status === 200).length === 3, { timeoutMs: 60_000 });
  const failed = api.requests.filter((r) => r.status === 503);
  t.equal(failed.length, 4, 'one probe at a time while down');
  const gaps = failed.slice(1).map((r, i) => r.at - failed[i]!.at);
  t.comment(`gaps between failed attempts: ${gaps.join(', ')} ms`);
  // Delay n lies in [d/2, d] with d = 40 · 2^n: 20–40, 40–80, 80–160 ms.
  [20, 40, 80].forEach((min, i) => t.ok(gaps[i]! >= min - 5, `gap ${i + 1} (${gaps[i]} ms) >= ${min} ms`));
  t.same(
    api.requests.filter((r) => r.status === 200).map((r) => (r.body as { name: string }).name).sort(),
    ['first', 'second', 'third'],
    'every stream re-reported on recovery',
  );
  t.ok(outbox.apiReachable);
});
