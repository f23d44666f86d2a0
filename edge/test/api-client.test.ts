import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { freePort } from '../../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { ApiClient } from '../src/api-client.js';
import { RouteLookupError } from '../src/errors.js';
import { waitFor } from '../../test-support/wait-for.js';
import { within } from './fixtures/within.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A tiny server answering the way the route API does; `handle` can be swapped per test. */
async function fakeApi(t: Test, handle: Handler) {
  const seen: string[] = [];
  const authorizations: (string | undefined)[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization);
    handle(req, res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${port}`, seen, authorizations, connections: () => connections };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function client(t: Test, apiUrl: string, { timeoutMs = 1_000, connections = 4 } = {}): ApiClient {
  const routes = new ApiClient({ apiUrl, internalToken: TEST_INTERNAL_TOKEN, timeoutMs, connections });
  t.teardown(() => routes.close());
  return routes;
}

/** The API's answer for a live stream on two origins (the internal contract's StreamRoute). */
const LIVE = {
  name: 'golive',
  manifest: 'index.m3u8',
  host: '10.0.0.2:8080',
  state: 'live',
  origins: [
    { host: '10.0.0.1:8080', manifest: 'index.m3u8', state: 'live', registered_at: '2026-01-01T00:00:00Z', ended_at: null, expires_at: '2026-01-01T00:00:30Z' },
    { host: '10.0.0.2:8080', manifest: 'index.m3u8', state: 'live', registered_at: '2026-01-01T00:00:05Z', ended_at: null, expires_at: '2026-01-01T00:00:35Z' },
  ],
  playback: { require_signed_urls: false, allowed_origins: [] },
};

t.test('200: the preferred host and every origin, asked with the internal token', async (t) => {
  const api = await fakeApi(t, (_req, res) => json(res, 200, LIVE));
  const routes = client(t, api.url);
  t.same(await routes.lookup('golive'), {
    host: '10.0.0.2:8080',
    origins: ['10.0.0.1:8080', '10.0.0.2:8080'],
    ended: false,
    endsAtMs: undefined,
    playback: { requireSignedUrls: false, allowedOrigins: [] },
  });
  t.same(api.seen, ['GET /streams/golive']);
  t.same(api.authorizations, [`Bearer ${TEST_INTERNAL_TOKEN}`]);
});

t.test('an ended stream ends when its last origin stops offering it; the playback policy is read', async (t) => {
  const body = {
    ...LIVE,
    state: 'ended',
    origins: LIVE.origins.map((origin) => ({ ...origin, state: 'ended', ended_at: '2026-01-01T00:00:20Z' })),
    playback: { require_signed_urls: true, allowed_origins: ['*.example.com'] },
  };
  const api = await fakeApi(t, (_req, res) => json(res, 200, body));
  t.same(await client(t, api.url).lookup('golive'), {
    host: '10.0.0.2:8080',
    origins: ['10.0.0.1:8080', '10.0.0.2:8080'],
    ended: true,
    endsAtMs: Date.parse('2026-01-01T00:00:35Z'),
    playback: { requireSignedUrls: true, allowedOrigins: ['*.example.com'] },
  });
});

t.test('keeps one connection alive across lookups, and honours a path prefix', async (t) => {
  const api = await fakeApi(t, (_req, res) => json(res, 200, LIVE));
  const routes = client(t, `${api.url}/internal`, { connections: 1 });
  for (let i = 0; i < 5; i++) await routes.lookup('golive');
  t.equal(api.seen[0], 'GET /internal/streams/golive');
  t.equal(api.seen.length, 5);
  t.equal(api.connections(), 1);
});

t.test('404 with the API error object: not live', async (t) => {
  const api = await fakeApi(t, (_req, res) =>
    json(res, 404, { error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "x" is not live' } }),
  );
  t.equal(await client(t, api.url).lookup('x'), 'not-live');
});

t.test('404 LIVE_ERR_STREAM_NOT_FOUND: no such stream (deleted), told apart from not live', async (t) => {
  const api = await fakeApi(t, (_req, res) =>
    json(res, 404, { error: { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: 'stream "x" does not exist' } }),
  );
  t.equal(await client(t, api.url).lookup('x'), 'no-such-stream');
});

t.test("the API's unknown-route 404 (a wrong API_URL) is a failure, not \"not live\"", async (t) => {
  const api = await fakeApi(t, (_req, res) =>
    json(res, 404, { error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND', message: 'no route for GET "/streams/x"' } }),
  );
  await t.rejects(client(t, api.url).lookup('x'), RouteLookupError);
});

t.test('a 404 of another shape is a failure, not "not live"', async (t) => {
  const api = await fakeApi(t, (_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'));
  await t.rejects(client(t, api.url).lookup('x'), RouteLookupError);
});

t.test('503 is a failure', async (t) => {
  const api = await fakeApi(t, (_req, res) => json(res, 503, { error: { code: 'X', message: 'redis down' } }));
  await t.rejects(client(t, api.url).lookup('golive'), {
    code: 'LIVE_ERR_ROUTE_LOOKUP_FAILED',
    message: /answered 503/,
  });
});

t.test('an answer with an unusable host anywhere, or a policy of another shape, is a failure: no such host is ever fetched', async (t) => {
  let body: unknown = { ...LIVE, host: 'evil.example/path' };
  const api = await fakeApi(t, (_req, res) => json(res, 200, body));
  const routes = client(t, api.url);
  await t.rejects(routes.lookup('golive'), { code: 'LIVE_ERR_ROUTE_LOOKUP_FAILED', message: /\/host must match pattern/ });

  for (const host of ['user@evil:80', 42]) {
    body = { ...LIVE, origins: [{ ...LIVE.origins[0], host }, LIVE.origins[1]] };
    await t.rejects(routes.lookup('golive'), { message: /\/origins\/0\/host / }, `origin host ${JSON.stringify(host)}`);
  }
  body = { ...LIVE, origins: [{ ...LIVE.origins[0], host: '[::1]:8080' }, { ...LIVE.origins[1], host: 'origin-b' }] };
  t.match(await routes.lookup('golive'), { host: '10.0.0.2:8080', origins: ['[::1]:8080', 'origin-b'] }, 'IPv6 and bare names are fine');

  body = { ...LIVE, playback: { require_signed_urls: true, allowed_origins: ['*.example.com', 42] } };
  await t.rejects(routes.lookup('golive'), { message: /\/playback\/allowed_origins\/1 / }, 'a policy of another shape is not guessed at');

  body = 'not json';
  await t.rejects(routes.lookup('golive'), RouteLookupError);
});

t.test('invalid JSON is a failure', async (t) => {
  const api = await fakeApi(t, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{'));
  await t.rejects(client(t, api.url).lookup('golive'), { message: /not JSON/ });
});

t.test('an unreachable API is a failure', async (t) => {
  const port = await freePort();
  await t.rejects(client(t, `http://127.0.0.1:${port}`).lookup('golive'), {
    code: 'LIVE_ERR_ROUTE_LOOKUP_FAILED',
    message: /ECONNREFUSED/,
  });
});

t.test('a hanging API times out', async (t) => {
  const api = await fakeApi(t, () => {
    // never answers
  });
  // Only the client's own timeout can end this lookup.
  const lookup = client(t, api.url, { timeoutMs: 200 }).lookup('golive');
  await t.rejects(within('the lookup to give up', lookup, 30_000), {
    code: 'LIVE_ERR_ROUTE_LOOKUP_FAILED',
    message: /did not answer within 200 ms/,
  });
});

t.test('a sightings batch the API is slow to take never holds up a route lookup', async (t) => {
  let releaseViews!: () => void;
  const viewsHeld = new Promise<void>((resolve) => (releaseViews = resolve));
  const api = await fakeApi(t, (req, res) => {
    if (req.url === '/views') {
      req.resume();
      void viewsHeld.then(() => res.writeHead(204).end());
      return;
    }
    json(res, 200, LIVE);
  });
  const routes = client(t, api.url, { connections: 1, timeoutMs: 30_000 });
  const report = routes.reportViews({ golive: ['viewer-0001'] });
  await waitFor('the batch to reach the API', () => api.seen.includes('POST /views'));
  const answer = await within('the route lookup', routes.lookup('golive'), 30_000);
  t.match(answer, { host: '10.0.0.2:8080' }, 'answered while the batch is still held');
  releaseViews();
  await report;
});
