/**
 * A recording removed by retention is withdrawn from the real API over real HTTP (the origin's
 * own client, a real redis-server behind the API), and a withdrawal that fails while the API is
 * unreachable or answering 503 is retried at the next period until the API unlists the video.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { freePort } from '../../../test-support/free-port.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { createStream, createUser } from '../../../api/test/fixtures/api-client.js';
import { startTestApi, TEST_INTERNAL_TOKEN } from '../../../api/test/fixtures/test-api.js';
import { Recorder } from '../../src/recording/recorder.js';
import { RecordingRetention } from '../../src/recording/recording-retention.js';
import { testReporter } from './test-reporter.js';

const logger = pino({ level: 'silent' });
const DAY_MS = 24 * 3600 * 1000;
const UID = 'ab'.repeat(16);

t.test('a failed withdrawal is retried until the API unlists the video', async (t) => {
  const { app, internal, internalApp, redis } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const root = t.testdir({ live: {}, recordings: {} });
  const recordingsPath = join(root, 'recordings');
  const apiPort = await freePort();
  const client = new InternalApiClient({ apiUrl: `http://127.0.0.1:${apiPort}`, token: TEST_INTERNAL_TOKEN, timeoutMs: 5_000, connections: 2 });
  t.teardown(() => client.close());
  const timers = new ManualTimers();
  const recorder: Recorder = new Recorder({ recordingsPath, targetDurationSeconds: 2, logger, newUid: () => UID });
  const reporter = testReporter({
    registry: client,
    recordingsPath,
    discard: (uid) => recorder.discard(uid),
    stopRecording: (uid) => recorder.stopRecording(uid),
    schedule: timers.schedule,
  });
  t.teardown(() => reporter.stop());
  const listed = async () => (await internal.inject(`/internal/videos/${UID}`)).statusCode;

  const recording = recorder.start(stream.id, { mode: 'automatic', timeout_seconds: 0 })!;
  const segment = join(root, 'live', '0.ts');
  await writeFile(segment, Buffer.alloc(2000, 1));
  await recording.addSegment({ file: segment, durationSeconds: 2, bytes: 2000 });
  await recording.publisherLeft();
  await reporter.sweep();
  t.equal(await listed(), 404, 'the API was not listening: nothing reported');

  await internalApp.listen({ port: apiPort, host: '127.0.0.1' });
  await reporter.sweep();
  t.equal(await listed(), 200, 'reported at the next period once the API listens');

  await redis.stop();
  const retention = new RecordingRetention({
    recordingsPath,
    retentionDays: 1,
    logger,
    schedule: timers.schedule,
    now: () => Date.now() + 2 * DAY_MS,
    onRemoved: () => void reporter.removed(),
  });
  t.teardown(() => retention.stop());
  retention.start();
  await waitFor('retention to remove the recording', async () => (await readdir(recordingsPath)).join() === '.withdrawals');
  await reporter.withdrawPending();
  t.same(await readdir(join(recordingsPath, '.withdrawals')), [UID], 'the API answered 503: the withdrawal stays noted');

  await redis.restart();
  await waitFor('the API to reach Redis again', async () => (await listed()) !== 503, { timeoutMs: 30_000 });
  t.equal(await listed(), 200, 'the video is still listed: the withdrawal did not reach the API');
  await reporter.sweep();
  t.equal(await listed(), 404, 'withdrawn at the next period');
  t.same(await readdir(join(recordingsPath, '.withdrawals')), [], 'and no longer noted');
});
