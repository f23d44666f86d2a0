/**
 * Outages behind the edge, with the whole platform running and viewers polling a live stream:
 * - the API offline: known streams keep playing for old and new viewers, and go on when it is
 *   back (a 20 s outage here, longer than the routes' TTL in Redis; `npm run test:soak` runs the
 *   same scenario for 5 minutes with the default settings);
 * - the origin killed: every request still gets an answer, from the cache or a 502/504 JSON
 *   error, and none hangs.
 */
import t from 'tap';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { apiOutage } from './api-outage-scenario.js';
import { startPlatform } from './platform-harness.js';
import { SimulatedViewers, type ViewerRequest } from './simulated-viewers.js';

const VIEWERS = 20;
/** Generous limit for anything the tests wait for. */
const WAIT_MS = 60_000;
/** A request the edge has not answered by then counts as hanging. */
const REQUEST_TIMEOUT_MS = 30_000;
const ORIGIN_ERRORS: Record<number, string> = { 502: 'LIVE_ERR_ORIGIN_UNREACHABLE', 504: 'LIVE_ERR_ORIGIN_TIMEOUT' };

t.test('the API offline while 20 viewers watch: no request fails, a new viewer plays, the stream goes on when it is back', async (t) => {
  // Routes expire from Redis 6 s after discovery's last report, so this outage outlives them as a
  // 5-minute one does with the default 30 s.
  const platform = await startPlatform({ ROUTE_TTL_SECONDS: '6' });
  t.teardown(() => platform.stop());
  await apiOutage(t, platform, { stream: 'api-outage', outageMs: 20_000, viewers: VIEWERS });
});

t.test('the origin killed while viewers watch: every request gets a cached answer or a 502/504 JSON error, none hangs', async (t) => {
  const platform = await startPlatform();
  t.teardown(() => platform.stop());
  const stream = 'origin-crash';
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${stream}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  await waitFor(
    'the stream to play through the edge',
    async () => {
      const response = await fetch(`${platform.edgeUrl}/${stream}/index.m3u8`);
      return response.status === 200 && /\.ts\s*$/m.test(await response.text());
    },
    { timeoutMs: WAIT_MS, intervalMs: 250 },
  );

  const viewers = new SimulatedViewers({
    edgeUrl: platform.edgeUrl,
    stream,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxRunMs: 5 * WAIT_MS,
  });
  t.teardown(() => viewers.stop());
  viewers.start(VIEWERS);
  const names = Array.from({ length: VIEWERS }, (_, i) => `viewer-${i + 1}`);
  const answered = (name: string, phase: string, ok: (r: ViewerRequest) => boolean) =>
    viewers.sent({ viewer: name, phase }).filter(ok).length;
  await waitFor(
    'every viewer to play a segment',
    () => names.every((name) => answered(name, 'before', (r) => r.kind === 'segment' && r.status === 200) >= 1),
    { timeoutMs: WAIT_MS, intervalMs: 100 },
  );

  await platform.stopService('origin', 'SIGKILL');
  const killedAt = Date.now();
  viewers.phase = 'killed';
  // Each viewer goes on until the edge has told it three times that the origin is gone.
  await waitFor(
    'every viewer to get three answers after the origin was killed',
    () => names.every((name) => answered(name, 'killed', (r) => r.status !== undefined && r.status !== 200) >= 3),
    { timeoutMs: 2 * REQUEST_TIMEOUT_MS + WAIT_MS, intervalMs: 100 },
  );
  const pollingMs = Date.now() - killedAt;
  await viewers.stop();

  const after = viewers.sent({ phase: 'killed' });
  t.same(after.filter((r) => r.timedOut).map((r) => `${r.viewer} ${r.path}`), [], `no request hung (${REQUEST_TIMEOUT_MS} ms client timeout)`);
  t.same(after.filter((r) => r.status === undefined).map((r) => `${r.viewer} ${r.path}: ${r.failure}`), [], 'every request got an answer');
  const errors = after.filter((r) => r.status !== undefined && r.status !== 200);
  t.same(
    errors.filter((r) => ORIGIN_ERRORS[r.status!] !== r.errorCode || !/application\/json/.test(r.contentType ?? '')),
    [],
    'every error is a JSON 502 LIVE_ERR_ORIGIN_UNREACHABLE or 504 LIVE_ERR_ORIGIN_TIMEOUT',
  );
  t.ok(errors.length >= 3 * VIEWERS, `the edge said the origin is gone (${errors.length} times)`);
  t.equal((await fetch(`${platform.edgeUrl}/health`)).status, 200, 'the edge is still up');

  const byStatus = new Map<number, number>();
  for (const r of after) byStatus.set(r.status!, (byStatus.get(r.status!) ?? 0) + 1);
  t.comment(
    `origin killed: ${after.length} requests by ${VIEWERS} viewers over ${(pollingMs / 1000).toFixed(1)} s: ` +
      [...byStatus].map(([status, n]) => `${n} x ${status}`).join(', ') +
      `; slowest answer ${Math.max(0, ...after.map((r) => r.ms))} ms, slowest error ${Math.max(0, ...errors.map((r) => r.ms))} ms`,
  );
});
