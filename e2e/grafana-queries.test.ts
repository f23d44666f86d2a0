/**
 * Every query of the Grafana dashboard (docs/grafana/livestack.json) answered by a real Prometheus
 * scraping the real platform, as an operator's would: its scrape config is made from the shipped
 * deploy/prometheus/prometheus.yml (prometheus-config/), only the targets and the interval
 * differ. A working platform (a live test pattern from ffmpeg, restreamed to a local receiver,
 * watched through the edge) must give every panel data: a panel that cannot is a typo'd metric or
 * label in the dashboard, or a metric that only appears once something goes wrong.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { localTargets, scrapeConfigFor, SCRAPE_JOBS } from '../prometheus-config/src/scrape-config.js';
import { fillVariables, grafanaIntervals, legendLabels, readDashboard, type PanelQuery } from '../test-support/grafana-dashboard.js';
import { startPrometheus, type PrometheusServer, type PromSample } from '../test-support/prometheus-server.js';
import { repoRoot } from '../test-support/repo-root.js';
import { startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { SimulatedViewers } from './simulated-viewers.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_grafana_queries_token';
const SCRAPE_INTERVAL_SECONDS = 1;
/** Grafana's `$__interval` for a few hours' range on a wide panel; `$__rate_interval` follows from it. */
const PANEL_INTERVAL_SECONDS = 14;
/** How long every query has to show data once the stream is live and watched. */
const QUERIES_TIMEOUT_MS = 60_000;

let platform: Platform;
let receiver: RtmpReceiver;
let prometheus: PrometheusServer;

t.before(async () => {
  receiver = await startRtmpReceiver({ expectedKey: 'receiver-key' });
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', ALLOW_PRIVATE_TARGETS: '1', INGEST_HEARTBEAT_MS: '500' });
  const hostPort = (url: string) => Number(new URL(url).port);
  const config = scrapeConfigFor(
    await readFile(path.join(repoRoot, 'deploy/prometheus/prometheus.yml'), 'utf8'),
    localTargets({
      apiInternal: hostPort(platform.internalApiUrl),
      origin: hostPort(platform.originUrl),
      discovery: hostPort(platform.discoveryUrl),
      edge: hostPort(platform.edgeUrl),
    }),
    { scrapeInterval: `${SCRAPE_INTERVAL_SECONDS}s` },
  );
  prometheus = await startPrometheus(config);
});
t.teardown(async () => {
  await prometheus?.stop();
  await platform?.stop();
  await receiver?.close();
});

const api = (method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, body);

/** The targets, once there is one per job and every one is up. */
async function everyTargetUp(): Promise<string | undefined> {
  const targets = await prometheus.targets();
  const down = targets.filter((target) => target.health !== 'up');
  if (down.length > 0 || targets.length !== SCRAPE_JOBS.length) return undefined;
  return targets.map((target) => `${target.job} ${target.instance}`).sort().join(', ');
}

/** Why `samples` would not draw a line in the panel, or undefined when they would. */
function shortcoming(query: PanelQuery, samples: PromSample[]): string | undefined {
  if (samples.length === 0) return 'no series';
  if (!samples.some((sample) => !Number.isNaN(sample.value))) return `${samples.length} series, every value NaN`;
  for (const label of legendLabels(query.legendFormat)) {
    if (samples.some((sample) => !sample.metric[label])) return `a series without the label ${label} its legend names`;
  }
  return undefined;
}

t.test('every panel of the dashboard shows data from a real Prometheus scraping the platform', async (t) => {
  const started = Date.now();
  const scraped = await waitFor('every scrape target up', everyTargetUp, { timeoutMs: 60_000, intervalMs: 500 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${JSON.stringify(await prometheus.targets())}`);
  });
  t.pass(`Prometheus scrapes ${scraped}`);

  const dashboard = await readDashboard();
  t.same(
    dashboard.variables.map(({ name, type, query }) => ({ name, type, query })),
    [{ name: 'datasource', type: 'datasource', query: 'prometheus' }],
    'one template variable: the Prometheus data source (none that a query would need filled in)',
  );
  const queries = dashboard.panels.flatMap((panel) => panel.queries);
  for (const panel of dashboard.panels) t.ok(panel.queries.length > 0, `${panel.title} has queries`);
  t.ok(queries.length >= 15, `${queries.length} queries in ${dashboard.panels.length} panels`);
  for (const query of queries) t.equal(query.datasourceUid, '${datasource}', `${query.name} asks the chosen Prometheus`);
  const variables = grafanaIntervals(SCRAPE_INTERVAL_SECONDS, PANEL_INTERVAL_SECONDS);
  const promql = new Map(queries.map((query) => [query, fillVariables(query.expr, variables)]));

  // What an operator's platform does on a quiet day: one stream live, restreamed, watched.
  const stream = (await api('POST', '/v1/streams', { name: 'Dashboard' })).json;
  const target = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://127.0.0.1:${receiver.port}/live`,
    stream_key: 'receiver-key',
  });
  t.equal(target.status, 201, 'a restream target to the local receiver');
  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key;
  const publisher = await publishTestPattern(`${platform.rtmpUrl}/${key}`);
  t.teardown(() => publisher.stop());
  const viewers = new SimulatedViewers({ edgeUrl: platform.edgeUrl, stream: stream.id, maxRunMs: 5 * QUERIES_TIMEOUT_MS });
  t.teardown(() => viewers.stop());
  viewers.start(2);

  // Polled from the publish on: some panels have data only for a rate window after an event
  // (discovery's report lag after the go-live), which waiting for the viewers could outlast.
  const shown = new Map<PanelQuery, string>();
  const lastShortcoming = new Map<PanelQuery, string>();
  const everyQueryShown = waitFor(
    'every query to show data',
    async () => {
      for (const query of queries) {
        if (shown.has(query)) continue;
        const samples = await prometheus.query(promql.get(query)!);
        const missing = shortcoming(query, samples);
        if (missing) lastShortcoming.set(query, missing);
        else {
          const example = samples.find((sample) => !Number.isNaN(sample.value))!;
          shown.set(query, `${samples.length} series, e.g. ${JSON.stringify(example.metric)} = ${example.value}`);
        }
      }
      return shown.size === queries.length;
    },
    { timeoutMs: QUERIES_TIMEOUT_MS, intervalMs: 1_000 },
  ).catch((error: Error) => t.comment(error.message));
  await waitFor('the stream restreamed and watched', () => receiver.publishes.length > 0 && viewers.sent({ kind: 'segment' }).some((request) => request.status === 200), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  t.pass('the receiver gets the restream, the viewers segments through the edge');
  await everyQueryShown;
  for (const query of queries) {
    t.ok(shown.has(query), `${query.name}: ${shown.get(query) ?? lastShortcoming.get(query)}`, { expr: promql.get(query) });
  }
  t.ok(await everyTargetUp(), 'every target still up');
  t.comment(`${Math.round((Date.now() - started) / 1000)} s from Prometheus up to every query answered`);
});
