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
