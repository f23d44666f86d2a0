import t, { type Test } from 'tap';
import HLS from 'hls-parser';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'undici';
import { buildHttpApp } from '../../src/http/app.js';
import { OriginMetrics } from '../../src/origin-metrics.js';
import { sumOf } from '../../../test-support/prometheus-text.js';
import { HlsStreamWriter } from '../../src/hls/hls-stream-writer.js';

const PLAYLIST = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:5
#EXTINF:2.000,
5.ts
`;
const SEGMENT = Buffer.alloc(188 * 3, 0x47);
const SECRET = 'not for the web';

/** Serves a temp HLS_PATH over real HTTP; requests go through a raw client so paths stay as sent. */
async function serve(t: Test) {
  const root = t.testdir({
    'secret.ts': SECRET,
    hls: {
      golive: {
        'index.m3u8': PLAYLIST,
        '5.ts': SEGMENT,
        'index.m3u8.tmp': '#EXTM3U\n#EXT-X-VERS',
        'folder.ts': {},
      },
    },
  });
  const hlsPath = join(root, 'hls');
  const app = buildHttpApp({ hlsPath });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  const client = new Client(`http://127.0.0.1:${address.port}`);
  t.teardown(async () => {
    await client.close();
    await app.close();
  });
  const request = async (path: string, method = 'GET', headers: Record<string, string> = {}) => {
    const response = await client.request({ path, method: method as 'GET', headers });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { status: response.statusCode, headers: response.headers, body, text: body.toString('utf8') };
  };
  return { hlsPath, request };
}

t.test('a playlist: HLS content type, revalidated on every use, readable from any origin', async (t) => {
  const { request } = await serve(t);
  const response = await request('/golive/index.m3u8');
  t.equal(response.status, 200);
  t.equal(response.text, PLAYLIST);
  t.equal(response.headers['content-type'], 'application/vnd.apple.mpegurl');
  t.equal(response.headers['cache-control'], 'no-cache');
  t.equal(response.headers['access-control-allow-origin'], '*');
  t.equal(response.headers['content-length'], String(Buffer.byteLength(PLAYLIST)));
  t.match(response.headers.etag, /^"[0-9a-z-]+"$/);
  t.match(response.headers['last-modified'], / GMT$/);
});

t.test('a segment: MPEG-TS content type, cached for good', async (t) => {
  const { request } = await serve(t);
  const response = await request('/golive/5.ts');
  t.equal(response.status, 200);
  t.same(response.body, SEGMENT);
  t.equal(response.headers['content-type'], 'video/mp2t');
  t.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(response.headers['access-control-allow-origin'], '*');
});

t.test('HEAD answers the headers of GET without a body', async (t) => {
  const { request } = await serve(t);
  const response = await request('/golive/5.ts', 'HEAD');
  t.equal(response.status, 200);
  t.equal(response.body.length, 0);
  t.equal(response.headers['content-length'], String(SEGMENT.length));
  t.equal(response.headers['content-type'], 'video/mp2t');
  t.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');

  const missing = await request('/golive/6.ts', 'HEAD');
  t.equal(missing.status, 404);
});

t.test('a matching ETag gets 304 with the caching headers', async (t) => {
  const { request } = await serve(t);
  const first = await request('/golive/index.m3u8');
  const etag = String(first.headers.etag);
  const again = await request('/golive/index.m3u8', 'GET', { 'if-none-match': `"other", ${etag}` });
  t.equal(again.status, 304);
  t.equal(again.body.length, 0);
  t.equal(again.headers.etag, etag);
  t.equal(again.headers['cache-control'], 'no-cache');
  const changed = await request('/golive/index.m3u8', 'GET', { 'if-none-match': '"other"' });
  t.equal(changed.status, 200);
});

t.test('missing files and unknown routes are 404 JSON', async (t) => {
  const { request } = await serve(t);
  // The platform's codes: a file the stream does not have is the edge's MEDIA_NOT_FOUND too.
  for (const [method, path, code] of [
    ['GET', '/golive/6.ts', 'LIVE_ERR_MEDIA_NOT_FOUND'],
    ['GET', '/nobody/index.m3u8', 'LIVE_ERR_MEDIA_NOT_FOUND'],
    ['GET', '/golive/folder.ts', 'LIVE_ERR_MEDIA_NOT_FOUND'],
    ['GET', '/golive', 'LIVE_ERR_ROUTE_NOT_FOUND'],
    ['GET', '/a/b/c.ts', 'LIVE_ERR_ROUTE_NOT_FOUND'],
    ['POST', '/golive/index.m3u8', 'LIVE_ERR_ROUTE_NOT_FOUND'],
    ['DELETE', '/golive/5.ts', 'LIVE_ERR_ROUTE_NOT_FOUND'],
  ]) {
    const response = await request(path!, method);
    t.equal(response.status, 404, `${method} ${path}`);
    t.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(response.headers['access-control-allow-origin'], '*');
    t.match(JSON.parse(response.text), { error: { code, message: String } }, `${method} ${path}`);
  }
  const missing = await request('/golive/6.ts');
  t.same(JSON.parse(missing.text), { error: { code: 'LIVE_ERR_MEDIA_NOT_FOUND', message: 'golive/6.ts does not exist' } });
});

t.test('traversal, encoded slashes, hidden and temporary files are refused', async (t) => {
  const { request } = await serve(t);
  for (const path of [
    '/../secret.ts',
    '/golive/../../secret.ts',
    '/golive/..%2F..%2Fsecret.ts',
    '/golive/%2E%2E%2F%2E%2E%2Fsecret.ts',
    '/%2E%2E/secret.ts',
    '/golive%2F..%2F..%2Fsecret.ts',
    '/golive/..%5C..%5Csecret.ts',
    '/golive/5.ts%00.m3u8',
    '/golive/index.m3u8.tmp',
    '/golive/.index.m3u8',
    '/golive/index.M3U8',
    '/golive/5.mp4',
    '/golive/%E0%A4%A.ts',
    `/${'x'.repeat(300)}/index.m3u8`,
  ]) {
    const response = await request(path);
    t.ok([400, 404].includes(response.status), `${path.slice(0, 40)} -> ${response.status}`);
    t.notMatch(response.text, SECRET);
    t.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    t.match(JSON.parse(response.text), { error: { code: /^LIVE_ERR_(INVALID_PATH|ROUTE_NOT_FOUND|MEDIA_NOT_FOUND)$/, message: String } });
  }
  const tmp = await request('/golive/index.m3u8.tmp');
  t.same(JSON.parse(tmp.text), {
    error: { code: 'LIVE_ERR_INVALID_PATH', message: '"index.m3u8.tmp" is not a valid playlist or segment name' },
  });
  const slash = await request('/golive/..%2F..%2Fsecret.ts');
  t.equal(slash.status, 400);
});

t.test('the longest valid stream name is served', async (t) => {
  const { hlsPath, request } = await serve(t);
  const name = 'a'.repeat(128);
  await mkdir(join(hlsPath, name));
  await writeFile(join(hlsPath, name, 'index.m3u8'), PLAYLIST);
  t.equal((await request(`/${name}/index.m3u8`)).status, 200);
  t.equal((await request(`/${name}b/index.m3u8`)).status, 400);
});

t.test('CORS preflight', async (t) => {
  const { request } = await serve(t);
  const response = await request('/golive/index.m3u8', 'OPTIONS', {
    origin: 'https://player.example',
    'access-control-request-method': 'GET',
    'access-control-request-headers': 'range, if-none-match',
  });
  t.equal(response.status, 204);
  t.equal(response.headers['access-control-allow-origin'], '*');
  t.equal(response.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
  t.equal(response.headers['access-control-allow-headers'], 'range, if-none-match');
  t.equal(response.headers['access-control-max-age'], '86400');
});

t.test('GET /health', async (t) => {
  const { request } = await serve(t);
  const response = await request('/health');
  t.equal(response.status, 200);
  t.same(JSON.parse(response.text), { status: 'ok' });
});

t.test('GET /ready: 503 until every readiness condition is met, then 200', async (t) => {
  const checks = { rtmp: false, heartbeat: false };
  const app = buildHttpApp({ hlsPath: t.testdir(), readiness: () => ({ ...checks }) });
  t.teardown(() => app.close());
  const ready = async () => {
    const response = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(response.headers['cache-control'], 'no-cache');
    return { status: response.statusCode, body: response.json() as unknown };
  };
  t.same(await ready(), { status: 503, body: { status: 'starting', checks: { rtmp: false, heartbeat: false } } });
  checks.rtmp = true;
  t.same(await ready(), { status: 503, body: { status: 'starting', checks: { rtmp: true, heartbeat: false } } });
  checks.heartbeat = true;
  t.same(await ready(), { status: 200, body: { status: 'ready', checks: { rtmp: true, heartbeat: true } } });
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health stays liveness');
});

t.test('GET /ready: 503 draining from the moment the origin drains, /health still 200', async (t) => {
  let draining = false;
  const app = buildHttpApp({ hlsPath: t.testdir(), readiness: () => ({ rtmp: true, heartbeat: true }), draining: () => draining });
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  draining = true;
  const response = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(response.statusCode, 503, 'a load balancer sends new publishers elsewhere');
  t.same(response.json(), { status: 'draining', checks: { rtmp: true, heartbeat: true } });
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process is alive: no restart');
});

t.test('GET /metrics: the origin metrics, behind METRICS_TOKEN when set', async (t) => {
  const metrics = new OriginMetrics({
    liveStreams: () => 2,
    fallbacksPlaying: () => 0,
    publishes: () => [],
    pushStates: () => ['live', 'retrying'],
    recordingsOpen: () => 3,
    recordingTotals: () => ({ bytes: 123_456, failures: 1 }),
  });
  const app = buildHttpApp({ hlsPath: t.testdir(), metrics, metricsToken: 'scrape-secret' });
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401, 'the HTTP port is public: no figures without the token');
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } });
  t.equal(response.statusCode, 200);
  t.equal(sumOf(response.body, 'origin_live_streams'), 2);
  t.equal(sumOf(response.body, 'origin_restream_pushes', { state: 'retrying' }), 1);
  t.equal(sumOf(response.body, 'origin_restream_pushes', { state: 'failed' }), 0, 'every state has its series, zero or not');
  t.equal(sumOf(response.body, 'origin_recordings_open'), 3);
  t.equal(sumOf(response.body, 'origin_recorded_bytes_total'), 123_456);
  t.equal(sumOf(response.body, 'origin_recording_failures_total'), 1);
  const open = buildHttpApp({ hlsPath: t.testdir(), metrics });
  t.teardown(() => open.close());
  t.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'open without a token');
});

t.test('GET /ready without readiness conditions: ready', async (t) => {
  const { request } = await serve(t);
  const response = await request('/ready');
  t.equal(response.status, 200);
  t.same(JSON.parse(response.text), { status: 'ready', checks: {} });
});

t.test('a playlist replaced while it is served always arrives whole', async (t) => {
  const { hlsPath, request } = await serve(t);
  const writer = await HlsStreamWriter.create({
    folder: join(hlsPath, 'live'),
    targetDurationSeconds: 1,
    windowSeconds: 5,
    segmentGraceMs: 60_000,
    firstMediaSequence: 0,
    onBackgroundError: (error) => t.fail(error.message),
  });
  t.teardown(() => writer.close());
  await writer.writeSegment(SEGMENT, { durationSeconds: 1, programDateTime: new Date(0) });

  // Writes go on until enough playlists were read during them, however slow the machine is.
  const WANTED_RESPONSES = 20;
  let writing = true;
  let responses = 0;
  const writes = (async () => {
    for (let n = 1; n < 5000 && (n < 150 || responses < WANTED_RESPONSES); n += 1) {
      await writer.writeSegment(SEGMENT, { durationSeconds: 1, programDateTime: new Date(n * 1000) });
      // Writes are synchronous: let the server answer between them, as it does between segments.
      await new Promise((resolve) => setImmediate(resolve));
    }
    writing = false;
  })();
  HLS.setOptions({ strictMode: true });
  t.teardown(() => HLS.setOptions({ strictMode: false }));
  const problems: string[] = [];
  while (writing) {
    const response = await request('/live/index.m3u8');
    responses += 1;
    try {
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      if (response.headers['content-length'] !== String(response.body.length)) throw new Error('length mismatch');
      const playlist = HLS.parse(response.text);
      if (!(playlist instanceof HLS.types.MediaPlaylist) || playlist.segments.length === 0) throw new Error('empty');
    } catch (error) {
      problems.push(`${(error as Error).message}:\n${response.text}`);
    }
  }
  await writes;
  t.same(problems.slice(0, 3), []);
  t.ok(responses >= WANTED_RESPONSES, `${responses} playlists served while writing`);
});
