import t from 'tap';
import { InternalApiRefusedError, InternalApiUnavailableError } from '../../internal-api/src/internal-api-errors.js';
import { sumOf } from '../../test-support/prometheus-text.js';
import { DiscoveryMetrics } from '../src/discovery-metrics.js';
import { MeteredReporter } from '../src/metered-reporter.js';
import type { StreamReporter } from '../src/stream-reporter.js';

t.test('each attempt counted by kind and outcome; failures by error; the lag only for reports a write caused', async (t) => {
  const metrics = new DiscoveryMetrics({ liveStreams: () => 3, apiReachable: () => false });
  const answers: Array<Error | undefined> = [
    undefined,
    undefined,
    new InternalApiUnavailableError('POST /streams', 'the API did not answer within 2000 ms'),
    new InternalApiRefusedError('POST /streams', 404, 'LIVE_ERR_STREAM_NOT_FOUND', 'gone'),
    undefined,
  ];
  const answer = async () => {
    const error = answers.shift();
    if (error) throw error;
  };
  const inner: StreamReporter = { register: answer, end: answer, withdraw: answer };
  let now = 10_000;
  const reporter = new MeteredReporter(inner, metrics, () => now);

  await reporter.register({ name: 'a', manifest: 'index.m3u8', writtenAt: 9_750 });
  now = 20_000;
  await reporter.register({ name: 'a', manifest: 'index.m3u8' });
  await t.rejects(reporter.register({ name: 'b', manifest: 'index.m3u8', writtenAt: 19_000 }), InternalApiUnavailableError, 'errors go on to the outbox');
  await t.rejects(reporter.end({ name: 'c', manifest: 'index.m3u8', graceSeconds: 30, writtenAt: 19_000 }), InternalApiRefusedError);
  await reporter.withdraw('a');

  const text = await metrics.text();
  t.equal(sumOf(text, 'discovery_reports_total', { kind: 'register', outcome: 'ok' }), 2);
  t.equal(sumOf(text, 'discovery_reports_total', { kind: 'register', outcome: 'failed' }), 1, 'to be retried');
  t.equal(sumOf(text, 'discovery_reports_total', { kind: 'end', outcome: 'refused' }), 1);
  t.equal(sumOf(text, 'discovery_reports_total', { kind: 'withdraw', outcome: 'ok' }), 1);
  t.equal(sumOf(text, 'discovery_api_errors_total', { error: 'unavailable' }), 1);
  t.equal(sumOf(text, 'discovery_api_errors_total', { error: 'refused' }), 1);
  t.equal(sumOf(text, 'discovery_report_lag_seconds_count', { kind: 'register' }), 1, 'not the heartbeat, not the failures');
  t.equal(sumOf(text, 'discovery_report_lag_seconds_sum', { kind: 'register' }), 0.25);
  t.equal(sumOf(text, 'discovery_report_lag_seconds_bucket', { kind: 'register', le: '0.25' }), 1);
  t.equal(sumOf(text, 'discovery_report_lag_seconds_bucket', { kind: 'register', le: '0.1' }), 0);
  t.equal(sumOf(text, 'discovery_live_streams'), 3);
  t.equal(sumOf(text, 'discovery_api_reachable'), 0);
});
