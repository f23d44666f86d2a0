import Fastify from 'fastify';
import t from 'tap';
import { serveMetrics, ServiceMetrics } from '../src/service-metrics.js';
import { parsePrometheusText, sumOf } from '../../test-support/prometheus-text.js';

class TestMetrics extends ServiceMetrics {
  readonly hits = this.counter('test_hits_total', 'Hits by "path" \\ kind.', ['path']);
  readonly delay = this.histogram('test_delay_seconds', 'Delay.', [0.1, 1]);
}

t.test('GET /metrics: valid Prometheus text of the service registry and the process', async (t) => {
  const metrics = new TestMetrics();
  const app = Fastify();
  serveMetrics(app, metrics);
  metrics.hits.inc({ path: 'a "quoted"\\ path\nwith a newline' }, 2);
  metrics.delay.observe(0.5);
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.equal(response.headers['cache-control'], 'no-store');
  const families = parsePrometheusText(response.body);
  t.equal(families.get('test_hits_total')?.type, 'counter');
  t.same(families.get('test_hits_total')?.samples[0]?.labels, { path: 'a "quoted"\\ path\nwith a newline' }, 'label escapes read back');
  t.equal(sumOf(response.body, 'test_delay_seconds_bucket', { le: '0.1' }), 0);
  t.equal(sumOf(response.body, 'test_delay_seconds_bucket', { le: '+Inf' }), 1);
  t.ok(families.has('process_cpu_user_seconds_total'), 'with the default process metrics');
  t.ok(families.has('nodejs_eventloop_lag_seconds'));
});

t.test('METRICS_TOKEN: a scrape without the bearer token gets 401 and no figures', async (t) => {
  const app = Fastify();
  serveMetrics(app, new TestMetrics(), { token: 'scrape-secret' });
  for (const authorization of [undefined, 'Bearer wrong', 'scrape-secret', 'Bearer scrape-secret ']) {
    const refused = await app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    t.equal(refused.statusCode, 401, String(authorization));
    t.equal(refused.json().error.code, 'LIVE_ERR_UNAUTHORIZED');
    t.equal(refused.headers['www-authenticate'], 'Bearer');
  }
  const allowed = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } });
  t.equal(allowed.statusCode, 200);
  t.ok(parsePrometheusText(allowed.body).has('test_hits_total'));
});

t.test('the parser refuses text Prometheus would refuse', async (t) => {
  const typed = '# HELP x_total X.\n# TYPE x_total counter\n';
  t.throws(() => parsePrometheusText(`${typed}x_total 1`), /newline/);
  t.throws(() => parsePrometheusText('y_total 1\n'), /no TYPE or HELP/);
  t.throws(() => parsePrometheusText(`${typed}x_total{a="1} 1\n`), /bad labels/);
  t.throws(() => parsePrometheusText(`${typed}x_total{a="1",a="2"} 1\n`), /twice/);
  t.throws(() => parsePrometheusText(`${typed}x_total{a="1"} 1\nx_total{a="1"} 2\n`), /same series twice/);
  t.throws(() => parsePrometheusText(`${typed}x_total one\n`), /not a number/);
  t.throws(() => parsePrometheusText(`${typed}x_total 1\n# TYPE x_total counter\n`), /TYPE after/);
  const histogram = '# TYPE h histogram\n';
  t.throws(() => parsePrometheusText(`${histogram}h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n`), /out of order/);
  t.throws(() => parsePrometheusText(`${histogram}h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n`), /\+Inf/);
  t.same(parsePrometheusText(`${typed}x_total{a="1"} 1 1700000000000\nx_total{a="2"} +Inf\n`).get('x_total')?.samples.length, 2);
});

t.test('startAtZero: every combination of known label values is scraped at 0 before its first event', async (t) => {
  class ZeroedMetrics extends ServiceMetrics {
    readonly refusals = this.counter('test_refusals_total', 'Refusals.', ['listener', 'reason']);
    readonly lag = this.histogram('test_lag_seconds', 'Lag.', [0.1, 1], ['kind']);
    constructor() {
      super();
      this.startAtZero(this.refusals, { listener: ['public', 'internal'], reason: ['denied', 'limit'] });
      this.startAtZero(this.lag, { kind: ['register'] });
    }
  }
  const metrics = new ZeroedMetrics();
  const families = parsePrometheusText(await metrics.text());
  t.same(
    families.get('test_refusals_total')?.samples.map((sample) => [sample.labels, sample.value]),
    [
      [{ listener: 'public', reason: 'denied' }, 0],
      [{ listener: 'public', reason: 'limit' }, 0],
      [{ listener: 'internal', reason: 'denied' }, 0],
      [{ listener: 'internal', reason: 'limit' }, 0],
    ],
  );
  const before = await metrics.text();
  t.equal(sumOf(before, 'test_lag_seconds_count', { kind: 'register' }), 0, 'the histogram series exists, empty');
  t.equal(sumOf(before, 'test_lag_seconds_bucket', { kind: 'register', le: '+Inf' }), 0);
  metrics.refusals.inc({ listener: 'public', reason: 'denied' });
  metrics.lag.observe({ kind: 'register' }, 0.5);
  const after = await metrics.text();
  t.equal(sumOf(after, 'test_refusals_total', { listener: 'public', reason: 'denied' }), 1, 'the first event counts from 0');
  t.equal(sumOf(after, 'test_lag_seconds_count', { kind: 'register' }), 1);
});
