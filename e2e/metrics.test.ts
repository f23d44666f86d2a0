/**
 * Every service's `GET /metrics` on the running platform: real processes, redis-server, ffmpeg
 * publishers and RTMP receivers. Each scrape is read strictly as Prometheus text
 * (test-support/prometheus-text.ts), and its figures must move with what the test does.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { samplesOf, sumOf, parsePrometheusText } from '../test-support/prometheus-text.js';
import { fillVariables, grafanaIntervals, readDashboard } from '../test-support/grafana-dashboard.js';
import { promtoolCheckConfig, promtoolCheckExpressions, promtoolLint } from '../test-support/promtool.js';
import { repoRoot } from '../test-support/repo-root.js';
import { startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_metrics_token_12345';
let platform: Platform;
let receiver: RtmpReceiver;

t.before(async () => {
  receiver = await startRtmpReceiver({ expectedKey: 'receiver-key' });
  platform = await startPlatform({
    ADMIN_TOKEN,
    // Managed keys only: any other name is refused by the API.
    ALLOWED_STREAMS: '',
    ALLOW_PRIVATE_TARGETS: '1',
    INGEST_HEARTBEAT_MS: '500',
    RESTREAM_RETRY_DELAY_S: '0.2',
  });
});
t.teardown(async () => {
  await platform?.stop();
  await receiver?.close();
});

const api = (method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, body);

/** One scrape, checked as Prometheus text before anything reads it. */
async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`${url}/metrics answered ${response.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(response.headers.get('content-type') ?? '')) throw new Error('not Prometheus text');
  const text = await response.text();
  parsePrometheusText(text);
  return text;
}

/** Waits until the scrape of `url` satisfies `check`; returns that scrape. */
function scrapeUntil(what: string, url: string, check: (text: string) => boolean): Promise<string> {
  return waitFor(what, async () => {
    const text = await scrape(url);
    return check(text) && text;
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

t.test('origin: live streams, ingest bytes per live stream, refusals, segment delays, pushes', async (t) => {
  const idle = await scrape(platform.originUrl);
  t.equal(sumOf(idle, 'origin_live_streams'), 0);
  t.equal(samplesOf(idle, 'origin_ingest_bytes_total').length, 0, 'no stream series while nothing is live');
  t.ok(parsePrometheusText(idle).has('process_resident_memory_bytes'), 'with the process metrics');

  const refused = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/publish_nosuchstream_wrongsecret`);
  t.teardown(() => refused.stop());
  await scrapeUntil('the refusal counted', platform.originUrl, (text) => sumOf(text, 'origin_publish_refusals_total', { reason: 'denied' }) === 1);
  await refused.exited;

  const stream = (await api('POST', '/v1/streams', { name: 'Metered' })).json;
  const reachable = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://127.0.0.1:${receiver.port}/live`,
    stream_key: 'receiver-key',
  });
  t.equal(reachable.status, 201);
  // Nothing listens there: every connection is refused, and the push retries.
  const deadPort = await freePort();
  const unreachable = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://127.0.0.1:${deadPort}/live`,
    stream_key: 'nobody-listens',
  });
  t.equal(unreachable.status, 201);
  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());

  const live = await scrapeUntil('the stream live with a segment, a push live and one retrying', platform.originUrl, (text) =>
    sumOf(text, 'origin_live_streams') === 1 &&
    sumOf(text, 'origin_segment_delay_seconds_count') > 0 &&
    sumOf(text, 'origin_restream_pushes', { state: 'live' }) === 1 &&
    sumOf(text, 'origin_restream_bytes_total') > 0 &&
    sumOf(text, 'origin_restream_retries_total') >= 2,
  );
  const ingest = samplesOf(live, 'origin_ingest_bytes_total');
  t.same(ingest.map((sample) => sample.labels), [{ stream: stream.id }], 'one series, labelled with the live stream id');
  t.ok(ingest[0]!.value > 0);
  t.ok(sumOf(live, 'origin_restream_failures_total', { code: 'RESTREAM_ERR_NETWORK' }) >= 2, 'the refused connects, by code');
  t.equal(sumOf(live, 'origin_restream_pushes'), 2, 'both targets');
  t.equal(sumOf(live, 'origin_publish_refusals_total'), 1, 'the accepted publish refused nothing');
  const later = await scrapeUntil('more ingest bytes', platform.originUrl, (text) => sumOf(text, 'origin_ingest_bytes_total', { stream: stream.id }) > ingest[0]!.value);
  t.ok(sumOf(later, 'origin_restream_bytes_total') >= sumOf(live, 'origin_restream_bytes_total'), 'counters never go back');

  await publisher.stop();
  const ended = await scrapeUntil('the stream over', platform.originUrl, (text) => sumOf(text, 'origin_live_streams') === 0);
  t.equal(samplesOf(ended, 'origin_ingest_bytes_total').length, 0, "the ended stream's label is gone");
  t.ok(sumOf(ended, 'origin_segment_delay_seconds_count') >= sumOf(live, 'origin_segment_delay_seconds_count'));
});

t.test('API: the internal listener counts both listeners by route pattern and status', async (t) => {
  const before = await scrape(platform.internalApiUrl);
  t.equal((await fetch(`${platform.apiUrl}/metrics`)).status, 404, 'not on the public listener');
  t.equal((await api('GET', '/v1/streams')).status, 200);
  t.equal((await v1Request(platform.apiUrl, 'not-a-token', 'GET', '/v1/streams')).status, 401);
  const text = await scrapeUntil('the heartbeats counted', platform.internalApiUrl, (text) =>
    sumOf(text, 'api_requests_total', { listener: 'internal', method: 'PUT', route: '/ingests/:origin_id', status: '200' }) >
    sumOf(before, 'api_requests_total', { listener: 'internal', method: 'PUT', route: '/ingests/:origin_id', status: '200' }),
  );
  const requests = (labels: Record<string, string>) => sumOf(text, 'api_requests_total', labels) - sumOf(before, 'api_requests_total', labels);
  t.equal(requests({ listener: 'public', method: 'GET', route: '/v1/streams', status: '200' }), 1);
  t.equal(requests({ listener: 'public', method: 'GET', route: '/v1/streams', status: '401' }), 1);
  t.equal(sumOf(text, 'api_auth_failures_total', { listener: 'public', kind: 'api_token_invalid' }), 1);
  t.equal(sumOf(text, 'api_auth_failures_total', { listener: 'internal', kind: 'stream_key_denied' }), 1, "the origin's refused publish");
  t.ok(sumOf(text, 'api_requests_total', { listener: 'internal', route: '/streams', method: 'POST' }) > 0, "discovery's reports");
  t.ok(sumOf(text, 'api_request_duration_seconds_count', { listener: 'internal', route: '/authorize' }) >= 2, 'the publishes authorized or not');
  t.equal(sumOf(text, 'api_redis_up'), 1);
});

t.test('discovery: reports and their lag from the manifest write; the edge: requests and cache', async (t) => {
  const health = await fetch(`${platform.discoveryUrl}/health`);
  t.equal(health.status, 200);
  t.equal((await fetch(`${platform.discoveryUrl}/ready`)).status, 200);
  const before = await scrape(platform.discoveryUrl);
  const registered = sumOf(before, 'discovery_reports_total', { kind: 'register', outcome: 'ok' });
  t.ok(registered >= 1, 'the metered stream went live through discovery');
  t.ok(sumOf(before, 'discovery_reports_total', { kind: 'end', outcome: 'ok' }) >= 1, 'and its end');
  t.ok(sumOf(before, 'discovery_report_lag_seconds_count', { kind: 'register' }) >= 1);

  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${(await api('POST', '/v1/streams', { name: 'Second' })).json.id}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  // A stream id is not a key: the API refuses it, nothing goes live, discovery sends nothing new.
  const refused = await scrapeUntil('the refusal', platform.originUrl, (text) => sumOf(text, 'origin_publish_refusals_total', { reason: 'denied' }) === 2);
  t.equal(sumOf(refused, 'origin_live_streams'), 0);
  await publisher.stop();

  const stream = (await api('POST', '/v1/streams', { name: 'Watched' })).json;
  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key;
  const live = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => live.stop());
  const reported = await scrapeUntil('the new stream reported', platform.discoveryUrl, (text) =>
    sumOf(text, 'discovery_reports_total', { kind: 'register', outcome: 'ok' }) > registered && sumOf(text, 'discovery_live_streams') === 1,
  );
  t.ok(sumOf(reported, 'discovery_report_lag_seconds_count', { kind: 'register' }) > sumOf(before, 'discovery_report_lag_seconds_count', { kind: 'register' }));
  t.equal(sumOf(reported, 'discovery_api_reachable'), 1);

  await waitFor('the playlist through the edge', async () => (await fetch(`${platform.edgeUrl}/${stream.id}/index.m3u8`)).status === 200, { timeoutMs: 60_000 });
  const edge = await scrape(platform.edgeUrl);
  t.ok(sumOf(edge, 'edge_requests_total', { kind: 'playlist', status: '200' }) >= 1);
  t.ok(sumOf(edge, 'edge_origin_fetches_total', { kind: 'playlist', outcome: 'ok' }) >= 1);
  await live.stop();
});

/** The families our code declares (prom-client's process and nodejs_ metrics are not ours to lint). */
const OWN_PREFIX = /^(origin|api|discovery|edge)_/;

t.test("every service's scrape passes promtool; the dashboard and the scrape config name only what exists", async (t) => {
  const urls = { origin: platform.originUrl, api: platform.internalApiUrl, discovery: platform.discoveryUrl, edge: platform.edgeUrl };
  const exposed = new Set<string>();
  for (const [service, url] of Object.entries(urls)) {
    const text = await scrape(url);
    const problems = await promtoolLint(text);
    t.same(problems.filter((line) => OWN_PREFIX.test(line)), [], `${service}: Prometheus parses it, and our names pass its lint`);
    for (const family of parsePrometheusText(text).values()) exposed.add(family.name);
  }

  const expressions = (await readDashboard()).panels.flatMap((panel) => panel.queries.map((query) => query.expr));
  t.ok(expressions.length >= 15, `${expressions.length} queries`);
  // Grafana fills $__rate_interval in (here for a Prometheus scraping every 15 s); any range checks the rest of the query.
  await promtoolCheckExpressions(expressions.map((expr) => fillVariables(expr, grafanaIntervals(15, 15))));
  t.pass('every query is valid PromQL');
  const named = new Set(expressions.flatMap((expr) => [...expr.matchAll(/\b(?:origin|api|discovery|edge)_[a-z_]+/g)].map((match) => match[0])));
  for (const name of named) {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    t.ok(exposed.has(family) || exposed.has(name), `the dashboard's ${name} is exposed`);
  }
  for (const wanted of ['origin_live_streams', 'origin_ingest_bytes_total', 'origin_segment_delay_seconds_bucket', 'origin_restream_pushes', 'edge_cache_requests_total', 'edge_origin_fetch_duration_seconds_bucket', 'api_request_duration_seconds_bucket', 'api_requests_total']) {
    t.ok(named.has(wanted), `the dashboard shows ${wanted}`);
  }

  const config = path.join(repoRoot, 'deploy/prometheus/prometheus.yml');
  await promtoolCheckConfig(config);
  const jobs = [...(await readFile(config, 'utf8')).matchAll(/job_name: (\w+)/g)].map((match) => match[1]);
  t.same(jobs.sort(), ['api', 'discovery', 'edge', 'origin'], 'a job per service');
});
