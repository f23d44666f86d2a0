import t from 'tap';
import { viewerSessionId, ViewerSessions, type ViewerReporter } from '../src/viewer-sessions.js';

/** Records batches; can be made to fail or to hold a batch until released. */
class RecordingReporter implements ViewerReporter {
  readonly batches: Record<string, string[]>[] = [];
  failing = false;
  hold: Promise<void> | undefined;
  async reportViews(streams: Record<string, string[]>): Promise<void> {
    this.batches.push(streams);
    await this.hold;
    if (this.failing) throw new Error('API down');
  }
}

function setup(t: { teardown(fn: () => unknown): void }, limits: { sessions?: number; streams?: number } = {}) {
  const reporter = new RecordingReporter();
  const warnings: string[] = [];
  const sessions = new ViewerSessions({
    reporter,
    // The timer is not what these tests exercise: they flush by hand.
    intervalMs: 3_600_000,
    maxSessionsPerBatch: limits.sessions ?? 10_000,
    maxStreamsPerBatch: limits.streams ?? 1_000,
    idleMs: 30_000,
    maxLiveSessions: 100,
    log: { warn: (_fields, message) => warnings.push(message) },
  });
  t.teardown(() => sessions.close());
  return { reporter, sessions, warnings };
}

t.test('a session is the stream, address and user agent, hashed', async (t) => {
  const id = viewerSessionId('s', '203.0.113.9', 'Safari');
  t.match(id, /^[A-Za-z0-9_-]{22}$/);
  t.notMatch(id, /203/);
  t.equal(viewerSessionId('s', '203.0.113.9', 'Safari'), id, 'stable');
  t.not(viewerSessionId('s', '203.0.113.9', 'Chrome'), id, 'another browser on the same address is another viewer');
  t.not(viewerSessionId('u', '203.0.113.9', 'Safari'), id, 'per stream');
});

t.test('one batch per flush, each session once, nothing when idle', async (t) => {
  const { reporter, sessions } = setup(t);
  sessions.seen('a', 'viewer-1');
  sessions.seen('a', 'viewer-1');
  sessions.seen('a', 'viewer-2');
  sessions.seen('b', 'viewer-3');
  await sessions.flush();
  t.same(reporter.batches, [{ a: ['viewer-1', 'viewer-2'], b: ['viewer-3'] }]);
  t.equal(sessions.liveSessions(), 3, 'this edge counts three live sessions');
  await sessions.flush();
  t.equal(reporter.batches.length, 1, 'an empty batch is not sent');
});

t.test('sightings during a batch in flight go in the next one', async (t) => {
  const { reporter, sessions } = setup(t);
  let release!: () => void;
  reporter.hold = new Promise((resolve) => (release = resolve));
  sessions.seen('a', 'viewer-1');
  const first = sessions.flush();
  sessions.seen('a', 'viewer-2');
  t.equal(sessions.flush(), sessions.flush(), 'one batch in flight at a time');
  release();
  await first;
  await sessions.flush();
  t.same(reporter.batches, [{ a: ['viewer-1'] }, { a: ['viewer-2'] }]);
});

t.test('a failed batch is dropped with a warning; the next one goes out', async (t) => {
  const { reporter, sessions, warnings } = setup(t);
  reporter.failing = true;
  sessions.seen('a', 'viewer-1');
  await sessions.flush();
  t.same(warnings, ['viewer sightings not reported']);
  reporter.failing = false;
  sessions.seen('a', 'viewer-1');
  await sessions.flush();
  t.same(reporter.batches.at(-1), { a: ['viewer-1'] });
});

t.test('a batch is bounded in sessions and streams', async (t) => {
  const { reporter, sessions } = setup(t, { sessions: 3, streams: 2 });
  sessions.seen('a', 'viewer-0');
  sessions.seen('b', 'viewer-x');
  sessions.seen('c', 'viewer-y');
  for (let i = 1; i < 10; i++) sessions.seen('a', `viewer-${i}`);
  await sessions.flush();
  t.same(reporter.batches, [{ a: ['viewer-0', 'viewer-1'], b: ['viewer-x'] }], 'two streams, three sessions');
});

t.test('close sends the last sightings', async (t) => {
  const { reporter, sessions } = setup(t);
  sessions.seen('a', 'viewer-1');
  await sessions.close();
  t.same(reporter.batches, [{ a: ['viewer-1'] }]);
});
