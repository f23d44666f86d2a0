/**
 * ORIGIN_SECRET on the origin's HTTP: media only for requests carrying the edges' secret (the
 * current one or, during a rotation, the previous one); health checks and /metrics without it.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { buildHttpApp } from '../../src/http/app.js';
import { ORIGIN_SECRET_HEADER, readOriginSecrets } from '../../../service-kit/src/origin-secret.js';
import { OriginMetrics } from '../../src/origin-metrics.js';

const CURRENT = 'edge-secret-current-0123456789';
const PREVIOUS = 'edge-secret-previous-0123456789';
const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n5.ts\n';

function app(t: Test, originSecrets: string[]) {
  const root = t.testdir({ hls: { golive: { 'index.m3u8': PLAYLIST, '5.ts': Buffer.alloc(188, 0x47) } } });
  const http = buildHttpApp({ hlsPath: join(root, 'hls'), originSecrets, metrics: new OriginMetrics({
    liveStreams: () => 0,
    fallbacksPlaying: () => 0,
    publishes: () => [],
    pushStates: () => [],
    recordingsOpen: () => 0,
    recordingTotals: () => ({ bytes: 0, failures: 0 }),
  }) });
  t.teardown(() => http.close());
  return http;
}

t.test('without the secret: 403 JSON for media of every kind; health checks and /metrics answer', async (t) => {
  const http = app(t, [CURRENT]);
  for (const url of ['/golive/index.m3u8', '/golive/5.ts', '/golive/ll.m3u8', '/videos/abc/index.m3u8', '/nothing-here']) {
    for (const headers of [{}, { [ORIGIN_SECRET_HEADER]: 'a-wrong-secret-0123456789' }, { [ORIGIN_SECRET_HEADER]: CURRENT.slice(0, -1) }]) {
      const response = await http.inject({ method: 'GET', url, headers });
      t.equal(response.statusCode, 403, `${url} ${JSON.stringify(headers)}`);
      t.equal(response.json().error.code, 'LIVE_ERR_FORBIDDEN');
      t.match(response.json().error.message, /edges only/);
      t.notMatch(response.body, CURRENT, 'the answer does not name the secret');
    }
  }
  t.equal((await http.inject({ method: 'HEAD', url: '/golive/5.ts' })).statusCode, 403, 'HEAD too');
  t.equal((await http.inject({ method: 'OPTIONS', url: '/golive/5.ts' })).statusCode, 403, 'a preflight too: browsers play from edges');
  t.equal((await http.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health answers');
  t.equal((await http.inject({ method: 'GET', url: '/ready' })).statusCode, 200, '/ready answers');
  t.equal((await http.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, '/metrics answers (METRICS_TOKEN guards it)');
});

t.test('with the current or the previous secret the media is served', async (t) => {
  const http = app(t, [CURRENT, PREVIOUS]);
  for (const secret of [CURRENT, PREVIOUS]) {
    const response = await http.inject({ method: 'GET', url: '/golive/index.m3u8', headers: { [ORIGIN_SECRET_HEADER]: secret } });
    t.equal(response.statusCode, 200);
    t.equal(response.body, PLAYLIST);
  }
});

t.test('no secret configured: open, as before', async (t) => {
  const http = app(t, []);
  t.equal((await http.inject({ method: 'GET', url: '/golive/index.m3u8' })).statusCode, 200);
});

t.test('settings: short secrets and a previous without a current are refused', async (t) => {
  t.same(readOriginSecrets({}), { current: undefined, previous: undefined });
  t.same(readOriginSecrets({ ORIGIN_SECRET: CURRENT, ORIGIN_SECRET_PREVIOUS: PREVIOUS }), { current: CURRENT, previous: PREVIOUS });
  t.throws(() => readOriginSecrets({ ORIGIN_SECRET: 'short' }), /ORIGIN_SECRET.*at least 24/);
  t.throws(() => readOriginSecrets({ ORIGIN_SECRET_PREVIOUS: PREVIOUS }), /ORIGIN_SECRET_PREVIOUS/);
  t.notMatch(String((() => { try { readOriginSecrets({ ORIGIN_SECRET: 'short' }); } catch (e) { return e; } })()), 'short"', 'the value is not quoted');
});
