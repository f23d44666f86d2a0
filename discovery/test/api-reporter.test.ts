import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createLogger } from '../../service-kit/src/logger.js';
import { freePort } from '../../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { waitFor } from '../../test-support/wait-for.js';
import { startTestApi } from '../../api/test/fixtures/test-api.js';
import { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import { InternalApiRefusedError, InternalApiUnavailableError, isRetryable } from '../../internal-api/src/internal-api-errors.js';
import { ApiReporter } from '../src/api-reporter.js';
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
  authorization: string | undefined;
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
        authorization: req.headers.authorization,
        at: Date.now(),
        status,
      });
      res.writeHead(status, { 'content-type': 'application/json' });
      // As the API answers: the registration, or its error shape.
      const report = raw === '' ? {} : (JSON.parse(raw) as { state?: string });
      const answer = status === 200 ? { ...report, state: report.state ?? 'live', ttl_seconds: 30 } : { error: { code: 'LIVE_ERR_X', message: `status ${status}` } };
      res.end(status === 204 ? undefined : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.teardown(() => server.closeAllConnections());
  return { ...api, api, url: `http://127.0.0.1:${port}` };
}

function reporterFor(t: { teardown(fn: () => unknown): void }, apiUrl: string) {
  const client = new InternalApiClient({ apiUrl, token: TEST_INTERNAL_TOKEN, timeoutMs: 1_000, connections: 16 });
  t.teardown(() => client.close());
  return new ApiReporter(client, ORIGIN_HOST);
}

t.test('against the real API: a registration is what the edge finds, its end is ended, a withdrawal is gone', async (t) => {
  const { internal, internalApp } = await startTestApi(t, { allowedStreams: ['golive'] });
  const reporter = reporterFor(t, await internalApp.listen({ port: 0, host: '127.0.0.1' }));
  const route = async () => (await internal.inject('/streams/golive')).json();
  await reporter.register({ name: 'golive', manifest: 'index.m3u8' });
  t.match(await route(), { host: ORIGIN_HOST, manifest: 'index.m3u8', state: 'live' });
  await reporter.end({ name: 'golive', manifest: 'index.m3u8', graceSeconds: 60 });
  t.match(await route(), { host: ORIGIN_HOST, state: 'ended' });
  await reporter.withdraw('golive');
  t.match(await route(), { error: { code: 'LIVE_ERR_STREAM_NOT_LIVE' } });
});

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
  t.ok(api.requests.every((r) => r.authorization === `Bearer ${TEST_INTERNAL_TOKEN}`), 'each with the internal token');
});

t.test('errors: 503 is unavailable (retried), 400 and 404 refused (not retried), a refused connection unavailable', async (t) => {
  const { api, url } = await startApi(t);
  const reporter = reporterFor(t, url);
  api.unavailable = 1;
  const unavailable = await reporter.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(unavailable instanceof InternalApiUnavailableError);
  t.equal((unavailable as InternalApiUnavailableError).status, 503);
  t.ok(isRetryable(unavailable));
  api.status.POST = 400;
  const rejection = await reporter.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(rejection instanceof InternalApiRefusedError);
  t.match((rejection as InternalApiRefusedError).message, /400/);
  t.notOk(isRetryable(rejection));
  // The API withdraws idempotently (204); a 404 is something else answering at API_URL: not retried either.
  api.status.DELETE = 404;
  t.notOk(isRetryable(await reporter.withdraw('a').catch((error: unknown) => error)));

  const nobody = reporterFor(t, `http://127.0.0.1:${await freePort()}`);
  const refused = await nobody.register({ name: 'a', manifest: 'index.m3u8' }).catch((error: unknown) => error);
  t.ok(refused instanceof InternalApiUnavailableError);
  t.equal((refused as InternalApiUnavailableError).code, 'LIVE_ERR_INTERNAL_API_UNAVAILABLE');
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
