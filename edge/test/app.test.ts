import t, { type Test } from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import type { EdgeSettings } from '../src/settings.js';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';
import { ManualClock, request, startEdge, type TestEdge } from './fixtures/edge.js';
import { startOrigin, type TestOrigin } from './fixtures/origin-server.js';
import { startStagedOrigin } from './fixtures/staged-origin.js';

const PLAYLIST = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-MEDIA-SEQUENCE:7',
  '#EXTINF:2.000,',
  'index7.ts',
  '',
].join('\n');

/** Two MPEG-TS packets: sync byte 0x47, then every byte value so any re-encoding would show. */
function segment(): Buffer {
  const packets = Buffer.alloc(2 * 188);
  for (let i = 0; i < packets.length; i++) packets[i] = i % 256;
  packets[0] = 0x47;
  packets[188] = 0x47;
  return packets;
}

/** An origin with `golive` on it; the playlist names the origin so tests can tell who answered. */
async function originWith(t: Test, name: string): Promise<TestOrigin> {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  await origin.put('golive', 'index.m3u8', `${PLAYLIST}#origin ${name}\n`);
  await origin.put('golive', 'index7.ts', segment());
  return origin;
}

/** An edge closed with the test; `clock` drives its route and media caches when a test moves time. */
async function edgeWith(
  t: Test,
  routeLookup: FakeRouteLookup,
  settings: Partial<EdgeSettings> = {},
  clock?: ManualClock,
): Promise<TestEdge> {
  const edge = await startEdge(routeLookup, { settings, now: clock?.now });
  t.teardown(() => edge.close());
  return edge;
}

/** Which origin served the playlist, or the status when it was not served. */
async function servedBy(edge: TestEdge): Promise<string> {
  const response = await request(edge.port, '/golive/index.m3u8');
  if (response.status !== 200) return `status ${response.status}`;
  return /#origin (\w+)/.exec(response.body.toString())?.[1] ?? '';
}

t.test('serves the playlist and a segment byte for byte, with their headers', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  const playlist = await request(edge.port, '/golive/index.m3u8');
  t.equal(playlist.status, 200);
  t.equal(playlist.body.toString(), `${PLAYLIST}#origin A\n`);
  t.equal(playlist.headers['content-type'], 'application/vnd.apple.mpegurl');
  t.equal(playlist.headers['cache-control'], 'public, max-age=1', 'half the target duration (2 s)');
  t.match(playlist.headers.etag, /^"[A-Za-z0-9_-]{22}"$/);
  t.equal(playlist.headers['content-length'], String(playlist.body.length));
  t.equal(playlist.headers['access-control-allow-origin'], '*');
  t.notOk(playlist.headers['set-cookie'], 'origin cookies stay at the edge');
  t.notOk(playlist.headers.server, 'origin server header stays at the edge');

  const ts = await request(edge.port, '/golive/index7.ts');
  t.equal(ts.status, 200);
  t.ok(ts.body.equals(segment()), 'segment bytes are identical');
  t.equal(ts.headers['content-type'], 'video/mp2t');
  t.equal(ts.headers['cache-control'], 'public, max-age=86400, immutable');
  t.equal(ts.headers['content-length'], String(segment().length));
  t.equal(ts.headers['accept-ranges'], 'bytes');
  t.notOk(ts.headers.etag, 'segments never change: no validator');

  t.same(
    origin.requests.map((r) => `${r.method} ${r.url}`),
    ['GET /golive/index.m3u8', 'GET /golive/index7.ts'],
  );
  t.equal(origin.requests[0]?.headers.host, origin.host, 'origin sees its own host');
});

t.test('HEAD answers with the headers and no body', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  const head = await request(edge.port, '/golive/index7.ts', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body.length, 0);
  t.equal(head.headers['content-length'], String(segment().length));
  t.equal(head.headers['content-type'], 'video/mp2t');
  t.equal(origin.requests[0]?.method, 'GET', 'the edge fetches whole objects, for its cache');
  const get = await request(edge.port, '/golive/index7.ts');
  t.equal(get.headers['x-cache'], 'HIT');
  t.ok(get.body.equals(segment()));
  t.equal(origin.requests.length, 1);
});

t.test('passes neither the query string nor the viewer\'s headers to the origin', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  const viewerHeaders = {
    range: 'bytes=0-9',
    'if-none-match': '"x"',
    'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT',
    'accept-encoding': 'gzip',
    cookie: 'viewer=secret',
    authorization: 'Bearer secret',
  };
  const playlist = await request(edge.port, '/golive/index.m3u8?_HLS_msn=7&token=secret', 'GET', viewerHeaders);
  t.equal(playlist.status, 200);
  const ts = await request(edge.port, '/golive/index7.ts?token=secret', 'GET', viewerHeaders);
  t.equal(ts.status, 206, 'the range is answered by the edge');
  t.same(
    origin.requests.map((r) => r.url),
    ['/golive/index.m3u8', '/golive/index7.ts'],
  );
  for (const seen of origin.requests) {
    for (const name of ['range', 'if-none-match', 'if-modified-since', 'cookie', 'authorization']) {
      t.notOk(seen.headers[name], `${seen.url}: no ${name}`);
    }
    t.equal(seen.headers['accept-encoding'], 'identity', 'whole, unencoded objects for every viewer');
  }
});

t.test('a file the origin does not have is a 404 JSON error', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  const response = await request(edge.port, '/golive/index999.ts');
  t.equal(response.status, 404);
  t.same(response.json(), {
    error: { code: 'LIVE_ERR_MEDIA_NOT_FOUND', message: 'file "index999.ts" of stream "golive" is not on its origin' },
  });
  t.equal(response.headers['x-cache'], 'MISS');
});

t.test('a name that is no stream is a 404 JSON error', async (t) => {
  const lookup = new FakeRouteLookup();
  lookup.deleted.add('nobody');
  const edge = await edgeWith(t, lookup);
  const response = await request(edge.port, '/nobody/index.m3u8');
  t.equal(response.status, 404);
  t.match(response.headers['content-type'], /^application\/json/);
  t.equal(response.headers['access-control-allow-origin'], '*');
  t.same(response.json(), {
    error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "nobody" is not live' },
  });
});

t.test('refuses traversal and encoded or doubled separators with 400 JSON', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  const refused = [
    '/golive/../golive/index.m3u8',
    '/../etc/passwd.ts',
    '/golive/..%2Fsecret.ts',
    '/golive%2Findex.m3u8/x.ts',
    '/golive/%2e%2e/index.m3u8',
    '/%2e%2e/golive/index.m3u8',
    '/golive/index%2Em3u8',
    '//golive/index.m3u8',
    '/golive//index.m3u8',
    '/golive/..\\index.m3u8',
    '/golive\\index.m3u8',
    '/golive/./index.m3u8',
    '/golive/.index.m3u8',
    '/golive/a..ts',
    '/golive/%zz.ts',
    '/golive/index.m3u8;x=1',
    `/${'x'.repeat(129)}/index.m3u8`,
  ];
  for (const path of refused) {
    const response = await request(edge.port, path);
    t.equal(response.status, 400, `${path} is refused`);
    t.match(response.json(), { error: { code: /^LIVE_ERR_(INVALID_PATH|MALFORMED_REQUEST)$/, message: String } }, path);
  }
  t.equal(origin.requests.length, 0, 'nothing reached the origin');
  t.equal(lookup.calls.length, 0, 'nothing was looked up');
});

t.test('paths that are not media are 404 JSON', async (t) => {
  const edge = await edgeWith(t, new FakeRouteLookup());
  for (const path of ['/', '/favicon.ico', '/golive', '/golive/', '/golive/index.html', '/a/b/c.ts']) {
    const response = await request(edge.port, path);
    t.equal(response.status, 404, path);
    t.match(response.json(), { error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND', message: String } }, path);
  }
  const post = await request(edge.port, '/golive/index.m3u8', 'POST');
  t.equal(post.status, 404);
  t.match(post.json(), { error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND' } });
});

t.test('health and CORS preflight', async (t) => {
  const edge = await edgeWith(t, new FakeRouteLookup());
  const health = await request(edge.port, '/health');
  t.equal(health.status, 200);
  t.same(health.json(), { status: 'ok' });

  const preflight = await request(edge.port, '/golive/index7.ts', 'OPTIONS', {
    origin: 'https://player.example',
    'access-control-request-method': 'GET',
    'access-control-request-headers': 'range',
  });
  t.equal(preflight.status, 204);
  t.equal(preflight.headers['access-control-allow-origin'], '*');
  t.match(preflight.headers['access-control-allow-headers'], /Range/);
});

t.test("plays from the API's choice: viewers move with the stream to another origin", async (t) => {
  const originA = await originWith(t, 'A');
  const originB = await originWith(t, 'B');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', originA.host);
  // A cache time of 0 makes every request ask the API, so each answer is seen at once.
  const edge = await edgeWith(t, lookup, { routeCacheMs: 0 });

  t.equal(await servedBy(edge), 'A');
  lookup.register('golive', originB.host);
  t.equal(await servedBy(edge), 'B', 'the stream is registered on B after A: B is where its publisher is');
  t.equal(await servedBy(edge), 'B');

  lookup.unregister('golive', originB.host);
  t.equal(await servedBy(edge), 'A', 'B left the list: back to A');
  t.ok(lookup.calls.length >= 4);
});

t.test('forgets the origin when the stream is not listed for ROUTE_API_RECOVERY_MS, or at once when it is deleted', async (t) => {
  const originA = await originWith(t, 'A');
  const originB = await originWith(t, 'B');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', originA.host);
  const clock = new ManualClock();
  const edge = await edgeWith(t, lookup, { routeCacheMs: 0, routeNotLiveCacheMs: 0, routeApiRecoveryMs: 30_000 }, clock);

  t.equal(await servedBy(edge), 'A');
  lookup.unregister('golive', originA.host);
  clock.advance(29_999);
  t.equal(await servedBy(edge), 'A', 'maybe not reported again yet: played on from its origin');
  clock.advance(1);
  const gone = await request(edge.port, '/golive/index.m3u8');
  t.equal(gone.status, 204, 'not listed for ROUTE_API_RECOVERY_MS since it was: an existing stream with nothing live (seed 004)');
  t.equal(gone.body.length, 0);

  lookup.register('golive', originB.host);
  lookup.register('golive', originA.host);
  t.equal(await servedBy(edge), 'A', 'a new start goes to the preferred origin');
  lookup.deleted.add('golive');
  const deleted = await request(edge.port, '/golive/index.m3u8');
  t.equal(deleted.status, 404, 'deleted through /v1: at once, though its origin still serves it');
  t.match(deleted.json(), { error: { code: 'LIVE_ERR_STREAM_NOT_LIVE' } });
});

t.test('reuses an answer for ROUTE_CACHE_MS and shares concurrent lookups', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  // The clock stands still: every answer, live or not, stays fresh however slow the machine is.
  const edge = await edgeWith(t, lookup, { routeCacheMs: 60_000 }, new ManualClock());

  let arrived = 0;
  edge.app.server.on('request', () => arrived++);
  let open!: () => void;
  lookup.gate = new Promise<void>((resolve) => (open = resolve));
  const concurrent = Array.from({ length: 10 }, (_, i) =>
    request(edge.port, i % 2 === 0 ? '/golive/index.m3u8' : '/golive/index7.ts'),
  );
  // All ten reach the edge while the first lookup is held.
  await waitFor('ten requests at the edge', () => arrived === 10);
  open();
  const responses = await Promise.all(concurrent);
  t.same(
    responses.map((r) => r.status),
    Array(10).fill(200),
  );
  t.equal(lookup.calls.length, 1, 'ten concurrent requests, one lookup');

  for (let i = 0; i < 20; i++) await request(edge.port, '/golive/index7.ts');
  t.equal(lookup.calls.length, 1, 'later requests within the cache time reuse the answer');

  const missing = await Promise.all([1, 2, 3].map(() => request(edge.port, '/other/index.m3u8')));
  t.same(
    missing.map((r) => r.status),
    [204, 204, 204],
    'a stream that is not live: 204 No Content',
  );
  t.same(lookup.calls, ['golive', 'other'], 'a not-live answer is cached too');
});

t.test('asks again once the cache time is over', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const clock = new ManualClock();
  const edge = await edgeWith(t, lookup, { routeCacheMs: 100 }, clock);

  t.equal(await servedBy(edge), 'A');
  clock.advance(99);
  t.equal(await servedBy(edge), 'A');
  t.same(lookup.calls, ['golive'], 'the answer is reused within the cache time');
  clock.advance(2);
  t.equal(await servedBy(edge), 'A');
  t.same(lookup.calls, ['golive', 'golive'], 'and asked again once it is over');
});

t.test('keeps serving known routes while the API is down', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup, { routeCacheMs: 0 });

  t.equal(await servedBy(edge), 'A');
  lookup.down = true;
  t.equal(await servedBy(edge), 'A', 'the last known origin keeps serving');
  const ts = await request(edge.port, '/golive/index7.ts');
  t.equal(ts.status, 200);

  const unknown = await request(edge.port, '/other/index.m3u8');
  t.equal(unknown.status, 503);
  t.match(unknown.headers['content-type'], /^application\/json/);
  t.match(unknown.json(), {
    error: { code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE', message: /"other"/ },
  });
});

t.test('stops using a known route once ROUTE_STALE_MS has passed', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const clock = new ManualClock();
  const edge = await edgeWith(t, lookup, { routeCacheMs: 0, routeStaleMs: 100 }, clock);

  t.equal(await servedBy(edge), 'A');
  lookup.down = true;
  clock.advance(99);
  t.equal(await servedBy(edge), 'A', 'confirmed less than ROUTE_STALE_MS ago: still used');
  clock.advance(2);
  const late = await request(edge.port, '/golive/index.m3u8');
  t.equal(late.status, 503);
  t.match(late.json(), { error: { code: 'LIVE_ERR_ROUTE_API_UNAVAILABLE', message: /"golive"/ } });
  t.same(lookup.calls, ['golive', 'golive', 'golive'], 'each answer came from a lookup (cache time 0)');
});

t.test('an unreachable origin is a 502 JSON error', async (t) => {
  const origin = await originWith(t, 'A');
  const host = origin.host;
  await origin.close();
  const lookup = new FakeRouteLookup();
  lookup.register('golive', host);
  const edge = await edgeWith(t, lookup);

  const response = await request(edge.port, '/golive/index.m3u8');
  t.equal(response.status, 502);
  t.match(response.headers['content-type'], /^application\/json/);
  t.equal(response.headers['access-control-allow-origin'], '*');
  t.same(response.json(), {
    error: {
      code: 'LIVE_ERR_ORIGIN_UNREACHABLE',
      message: 'the origin of stream "golive" is unreachable',
    },
  });
});

t.test('an origin that does not answer in time is a 504 JSON error', async (t) => {
  // This origin never answers the request: only the edge's timeout can end it.
  const origin = await startStagedOrigin();
  t.teardown(() => origin.close());
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup, { upstreamTimeoutMs: 100 });

  const response = await request(edge.port, '/golive/hold-1.ts');
  t.equal(response.status, 504);
  t.match(response.json(), { error: { code: 'LIVE_ERR_ORIGIN_TIMEOUT', message: /100 ms/ } });
  t.ok(origin.received.has('/golive/hold-1.ts'), 'the request reached the origin first');
  await waitFor('the edge to give up the origin request', () => origin.open() === 0);
});

t.test('reuses origin connections (keep-alive)', async (t) => {
  const origin = await originWith(t, 'A');
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await edgeWith(t, lookup);

  for (let i = 0; i < 5; i++) await origin.put('golive', `index${i}.ts`, segment());
  for (let i = 0; i < 5; i++) await request(edge.port, `/golive/index${i}.ts`);
  t.equal(origin.requests.length, 5);
  t.equal(origin.connections(), 1, 'five sequential origin requests over one connection');
});
