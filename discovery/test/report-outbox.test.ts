import t from 'tap';
import { createLogger } from '../../service-kit/src/logger.js';
import { waitFor } from '../../test-support/wait-for.js';
import { backoffDelayMs } from '../src/backoff.js';
import { ReportOutbox } from '../src/report-outbox.js';
import { FakeReporter } from './fake-reporter.js';

const logger = createLogger('discovery-test', process.env.LOG_LEVEL ?? 'silent');
const register = (name: string) => ({ kind: 'register' as const, report: { name, manifest: 'index.m3u8' } });
const withdraw = (name: string) => ({ kind: 'withdraw' as const, name });

function setup(t: { teardown(fn: () => unknown): void }) {
  const reporter = new FakeReporter();
  const outbox = new ReportOutbox({ reporter, backoff: { initialMs: 40, maxMs: 160 }, logger });
  t.teardown(() => outbox.shutdown([]));
  return { reporter, outbox };
}

t.test('backoff doubles up to the cap and stays within [d/2, d]', async (t) => {
  const settings = { initialMs: 100, maxMs: 1_000 };
  t.same([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, settings, () => 1)), [100, 200, 400, 800, 1_000, 1_000]);
  t.same([0, 3, 10].map((n) => backoffDelayMs(n, settings, () => 0)), [50, 400, 500]);
});

t.test('reports go out at once, one request per stream in order', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.latencyMs = 30;
  outbox.submit(register('a'));
  outbox.submit(register('b'));
  outbox.submit(withdraw('a'));
  t.same(reporter.calls.map((c) => `${c.op} ${c.name}`), ['register a', 'register b'], 'withdraw a waits for register a');
  await waitFor('withdraw a', () => reporter.delivered('a', 'withdraw').length === 1);
  t.same(reporter.calls.map((c) => `${c.op} ${c.name}`), ['register a', 'register b', 'withdraw a']);
});

t.test('the newest op per stream wins while a request is in flight', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.latencyMs = 30;
  outbox.submit(register('a'));
  outbox.submit(withdraw('a'));
  outbox.submit(register('a'));
  outbox.submit(withdraw('a'));
  await waitFor('withdraw a', () => reporter.delivered('a', 'withdraw').length === 1);
  // Shutdown lets what is in flight finish and sends any withdraw still queued: none may be left.
  await outbox.shutdown([]);
  t.same(reporter.calls.map((c) => c.op), ['register', 'withdraw'], 'the ops in between were coalesced');
});

t.test('an end supersedes the queued register and carries its grace period', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.latencyMs = 30;
  outbox.submit(register('show'));
  outbox.submit(register('show'));
  outbox.submit({ kind: 'end', report: { name: 'show', manifest: 'index.m3u8', graceSeconds: 60 } });
  await waitFor('end delivered', () => reporter.delivered('show', 'end').length === 1);
  t.same(
    reporter.calls.map((c) => [c.op, c.graceSeconds]),
    [
      ['register', undefined],
      ['end', 60],
    ],
  );
});

t.test('while the API is down one probe is retried with backoff, then everything is sent', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.down = true;
  outbox.submit(register('a'));
  outbox.submit(register('b'));
  outbox.submit(register('c'));
  await waitFor('API marked down', () => !outbox.apiReachable);
  outbox.submit(withdraw('c'));
  await waitFor('four probes', () => reporter.calls.length >= 3 + 4);
  // 3 first attempts, then one probe at a time, each after the backoff of its step: 20–40 ms,
  // then 40–80, 80–160, 80–160 ms. A timer never fires early, so the gaps have floors (and a slow
  // machine only makes them longer); streams retrying on their own would come in bursts.
  const probeTimes = reporter.calls.slice(3, 3 + 4).map((c) => c.at);
  const gaps = probeTimes.slice(1).map((at, i) => at - probeTimes[i]!);
  t.comment(`gaps between probes: ${gaps.join(', ')} ms`);
  const floors = [40, 80, 80];
  gaps.forEach((gap, i) => t.ok(gap >= floors[i]! - 1, `probe ${i + 1} waited its backoff (${gap} >= ${floors[i]} ms)`));
  reporter.down = false;
  await waitFor('all delivered', () => reporter.delivered().length === 3);
  t.ok(outbox.apiReachable);
  t.same(
    reporter.delivered().map((c) => `${c.op} ${c.name}`).sort(),
    ['register a', 'register b', 'withdraw c'],
    'live streams re-reported on recovery, the superseded register of c was never sent',
  );
});

t.test('a rejected report is dropped, not retried', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.rejected.add('bad');
  outbox.submit(register('bad'));
  outbox.submit(register('good'));
  await waitFor('good delivered', () => reporter.delivered('good').length === 1);
  // Retries are only ever scheduled while the API counts as down.
  t.ok(outbox.apiReachable, 'a rejection does not mean the API is down: no retry is scheduled');
  t.equal(reporter.calls.filter((c) => c.name === 'bad').length, 1);
});

t.test('a rejected probe still proves the API is back', async (t) => {
  const { reporter, outbox } = setup(t);
  reporter.down = true;
  reporter.rejected.add('bad');
  outbox.submit(register('bad'));
  await waitFor('API marked down', () => !outbox.apiReachable);
  outbox.submit(register('good'));
  reporter.down = false;
  await waitFor('good delivered', () => reporter.delivered('good').length === 1);
  t.ok(outbox.apiReachable);
});

t.test('shutdown waits for requests in flight, then withdraws live streams and queued withdraws', async (t) => {
  const reporter = new FakeReporter();
  const outbox = new ReportOutbox({ reporter, backoff: { initialMs: 10_000, maxMs: 10_000 }, logger });
  reporter.down = true;
  outbox.submit(withdraw('ended'));
  await waitFor('API marked down', () => !outbox.apiReachable);
  reporter.down = false;
  reporter.latencyMs = 30;
  outbox.submit(register('live'));
  await outbox.shutdown(['live']);
  t.same(
    reporter.calls.slice(1).map((c) => `${c.op} ${c.name} ${c.ok}`).sort(),
    ['withdraw ended true', 'withdraw live true'],
    'the register queued while down is dropped; withdraws go out once each',
  );
  outbox.submit(register('late'));
  t.equal(reporter.calls.filter((c) => c.name === 'late').length, 0, 'nothing is sent after shutdown');
});
