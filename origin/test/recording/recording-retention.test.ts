import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { stringifyRecordingInfo } from '../../src/recording/recording-info.js';
import { RecordingRetention } from '../../src/recording/recording-retention.js';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
const NOW = Date.parse('2026-11-30T12:00:00.000Z');

/** A closed recording that ended `endedDaysAgo` before NOW, as the recorder leaves it. */
async function closedRecording(recordingsPath: string, uid: string, endedDaysAgo: number) {
  const folder = join(recordingsPath, 'abc12345', uid);
  await mkdir(folder, { recursive: true });
  const ended = new Date(NOW - endedDaysAgo * DAY_MS).toISOString();
  await writeFile(join(folder, '0.ts'), 'media');
  await writeFile(join(folder, 'index.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\n0.ts\n#EXT-X-ENDLIST\n');
  await writeFile(
    join(folder, 'recording.json'),
    stringifyRecordingInfo({ uid, stream: 'abc12345', created: ended, ended, duration_s: 2, size_bytes: 5, width: null, height: null }),
  );
}

t.test('sweeps at start, then every hour, removing only recordings past the retention', async (t) => {
  const recordingsPath = t.testdir();
  const timers = new ManualTimers();
  let clock = NOW;
  const retention = new RecordingRetention({ recordingsPath, retentionDays: 30, logger: pino({ level: 'silent' }), schedule: timers.schedule, now: () => clock });
  t.teardown(() => retention.stop());
  const uid = (n: number) => String(n).repeat(32);
  await closedRecording(recordingsPath, uid(1), 31);
  await closedRecording(recordingsPath, uid(2), 29.99);
  const left = () => readdir(join(recordingsPath, 'abc12345'));

  retention.start();
  await waitFor('the start sweep', async () => (await left()).length === 1 && timers.pending.length === 1, { timeoutMs: 10_000 });
  t.same(await left(), [uid(2)], 'only the one past 30 days');
  t.same(timers.pending, [HOUR_MS], 'the next sweep in an hour');

  clock += HOUR_MS;
  timers.advance(HOUR_MS);
  const streams = async () => (await readdir(recordingsPath)).filter((name) => name !== '.withdrawals');
  await waitFor('the hourly sweep and the next one scheduled', async () => (await streams()).length === 0 && timers.pending.length === 1, {
    timeoutMs: 10_000,
  });
  t.pass('the other one, past 30 days an hour later, is removed with its stream folder');
  t.same((await readdir(join(recordingsPath, '.withdrawals'))).sort(), [uid(1), uid(2)], 'each removal noted for the API to hear of');
  retention.stop();
  t.same(timers.pending, [], 'stop cancels the next sweep');
});
