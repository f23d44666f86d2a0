import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { VideoReport, VideoReportAnswer } from '../../../internal-api/src/video-contract.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { buildHttpApp } from '../../src/http/app.js';
import { Recorder } from '../../src/recording/recorder.js';
import type { VideoReporter, VideoRegistry } from '../../src/recording/video-reporter.js';
import { testReporter } from './test-reporter.js';
import { removeExpiredRecordings } from '../../src/recording/recording-recovery.js';

const logger = pino({ level: 'silent' });
const STREAM = 'abc12345';
const UID = '0'.repeat(31) + '1';
/** A closed recording's recording.json, ended long ago. */
const INFO = {
  stream: STREAM,
  created: '2026-01-01T00:00:00.000Z',
  ended: '2026-01-01T01:00:00.000Z',
  duration_s: 3600,
  size_bytes: 1000,
  width: 640,
  height: 360,
};

/** An API stand-in that records every report and answers `keep` as told. */
class FakeRegistry implements VideoRegistry {
  reports: Array<{ uid: string; report: VideoReport }> = [];
  withdrawn: string[] = [];
  keep = true;
  stopRecording = false;
  failing = false;
  failingWithdrawals = false;
  /** While set, reports wait for it before they arrive (a slow network). */
  delay?: Promise<void>;
  /** Reports and withdrawals in the order they arrived. */
  arrivals: string[] = [];
  private waiters: Array<() => void> = [];

  async reportVideo(uid: string, report: VideoReport): Promise<VideoReportAnswer> {
    if (this.failing) throw new Error('API down');
    await this.delay;
    this.arrivals.push(`report ${report.state}`);
    this.reports.push({ uid, report });
    for (const wake of this.waiters.splice(0)) wake();
    return this.stopRecording && report.state === 'live-inprogress' ? { keep: this.keep, stop_recording: true } : { keep: this.keep };
  }

  async withdrawVideo(uid: string): Promise<void> {
    if (this.failingWithdrawals) throw new Error('API down');
    this.arrivals.push('withdrawal');
    this.withdrawn.push(uid);
  }

  /** Resolves once `count` reports arrived and were acted on. */
  async until(count: number): Promise<void> {
    while (this.reports.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function setup(t: Test) {
  const root = t.testdir({ live: {}, recordings: {} });
  const recordingsPath = join(root, 'recordings');
  const registry = new FakeRegistry();
  const timers = new ManualTimers();
  const recorder: Recorder = new Recorder({
    recordingsPath,
    targetDurationSeconds: 2,
    logger,
    schedule: timers.schedule,
    newUid: () => UID,
    onChange: (stream, uid) => reporter.changed(stream, uid),
  });
  const reporter: VideoReporter = testReporter({
    registry,
    recordingsPath,
    discard: (uid) => recorder.discard(uid),
    stopRecording: (uid) => recorder.stopRecording(uid),
    schedule: timers.schedule,
  });
  t.teardown(() => reporter.stop());
  let sequence = 0;
  const segment = async (recording: NonNullable<ReturnType<Recorder['start']>>) => {
    const file = join(root, 'live', `${sequence++}.ts`);
    await writeFile(file, Buffer.alloc(1000, sequence));
    await recording.addSegment({ file, durationSeconds: 2, bytes: 1000, width: 640, height: 360 });
  };
  return { root, recordingsPath, registry, recorder, reporter, timers, segment };
}

t.test('a recording is reported when its first segment is listed, when it closes, and every period', async (t) => {
  const { registry, recorder, reporter, timers, segment } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 });
  if (!recording) throw new Error('automatic mode records');
  await segment(recording);
  await registry.until(1);
  t.match(registry.reports[0], {
    uid: UID,
    report: { stream: STREAM, origin_id: 'origin-a', origin_host: '127.0.0.1:8080', state: 'live-inprogress', ended: null, width: 640 },
  });
  t.match(reporter.recording(UID), { stream: STREAM, ready: false });
  await segment(recording);
  await recording.publisherLeft();
  await registry.until(2);
  t.match(registry.reports[1]?.report, { state: 'ready', duration_s: 4, size_bytes: 2000 });
  t.match(reporter.recording(UID), { ready: true });

  reporter.start();
  await registry.until(3);
  t.match(registry.reports[2]?.report, { state: 'ready' }, 'the start lists the disk and reports what it holds');
  timers.advance(30_000);
  await registry.until(4);
  t.equal(registry.reports[3]?.uid, UID, 'and again at each period');
});

t.test('keep: false removes the files (an open video stops recording); a failed report waits for the next period', async (t) => {
  const { registry, recorder, reporter, timers, segment, recordingsPath } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 });
  if (!recording) throw new Error('automatic mode records');
  registry.failing = true;
  await segment(recording);
  await reporter.sweep();
  t.equal(registry.reports.length, 0);
  registry.failing = false;
  registry.keep = false;
  timers.advance(30_000);
  await registry.until(1);
  await reporter.sweep();
  t.same(await readdir(recordingsPath), [], 'the recording and its stream folder are gone');
  t.equal(recorder.size, 0, 'the open video is no longer recorded');
  await segment(recording);
  t.same(await readdir(recordingsPath), [], 'a later segment of the session is not kept');
  t.equal(reporter.recording(UID), undefined);
});

t.test('stop_recording closes the open video as a ready VOD, reported as such; the session records no more', async (t) => {
  const { registry, recorder, segment, recordingsPath } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 });
  if (!recording) throw new Error('automatic mode records');
  registry.stopRecording = true;
  await segment(recording);
  await registry.until(2);
  t.match(registry.reports.map(({ report }) => report.state), ['live-inprogress', 'ready'], 'the close is reported at once');
  t.equal(recorder.size, 0, 'no video open');
  const folder = join(recordingsPath, STREAM, UID);
  t.match(await readFile(join(folder, 'index.m3u8'), 'utf8'), /#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2\.000,\n0\.ts\n#EXT-X-ENDLIST\n$/);
  await segment(recording);
  t.same(await readdir(folder), ['0.ts', 'index.m3u8', 'recording.json'], 'a later segment of the session is not kept');
});

t.test('retention removals are withdrawn; a failed withdrawal is retried every period, also after a restart', async (t) => {
  const { registry, reporter, recordingsPath, timers } = setup(t);
  await mkdir(join(recordingsPath, STREAM, UID), { recursive: true });
  await writeFile(join(recordingsPath, STREAM, UID, 'recording.json'), JSON.stringify({ ...INFO, uid: UID }));
  registry.failingWithdrawals = true;
  const removed = await removeExpiredRecordings(recordingsPath, 1000, Date.now());
  t.same(removed, [join(recordingsPath, STREAM, UID)]);
  await reporter.removed();
  t.same(registry.withdrawn, [], 'the API is down');
  t.same(await readdir(join(recordingsPath, '.withdrawals')), [UID], 'the withdrawal stays noted on disk');

  // The origin restarts: a new reporter finds the note at its first sweep.
  reporter.stop();
  const restarted = testReporter({ registry, recordingsPath, schedule: timers.schedule });
  t.teardown(() => restarted.stop());
  await restarted.sweep();
  t.same(registry.withdrawn, [], 'still down');
  registry.failingWithdrawals = false;
  timers.advance(30_000);
  await restarted.sweep();
  t.same(registry.withdrawn, [UID], 'withdrawn once the API answers');
  t.same(await readdir(join(recordingsPath, '.withdrawals')), [], 'and the note is cleared');
  await restarted.sweep();
  t.same(registry.withdrawn, [UID], 'only once');
});

t.test('a removed recording whose report is still on its way is withdrawn after that report, never before', async (t) => {
  const { registry, recorder, reporter, segment, recordingsPath, timers } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 })!;
  await segment(recording);
  await registry.until(1);
  let arrive!: () => void;
  registry.delay = new Promise((resolve) => (arrive = resolve));
  await recording.publisherLeft();
  // The close's report is on its way when retention removes the recording.
  await removeExpiredRecordings(recordingsPath, 0, Date.now() + 1000);
  await reporter.removed();
  t.same(registry.withdrawn, [], 'not withdrawn while its report is in flight');
  arrive();
  await registry.until(2);
  timers.advance(30_000);
  await reporter.sweep();
  t.same(registry.arrivals, ['report live-inprogress', 'report ready', 'withdrawal'], 'withdrawn once the report arrived');
  t.same(await readdir(join(recordingsPath, '.withdrawals')), []);
});

t.test('GET /videos/<uid>/<file> serves only held recordings, immutable once ready', async (t) => {
  const { registry, recorder, reporter, segment, root } = setup(t);
  const app = buildHttpApp({ hlsPath: join(root, 'live'), recording: (uid) => reporter.recording(uid) });
  t.teardown(() => app.close());
  const get = (url: string) => app.inject({ method: 'GET', url });
  t.equal((await get(`/videos/${UID}/index.m3u8`)).statusCode, 404, 'not held yet');

  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 });
  if (!recording) throw new Error('automatic mode records');
  await segment(recording);
  await registry.until(1);
  const live = await get(`/videos/${UID}/index.m3u8`);
  t.equal(live.statusCode, 200);
  t.match(live.body, /#EXT-X-PLAYLIST-TYPE:EVENT/);
  t.equal(live.headers['cache-control'], 'no-cache', 'an EVENT playlist still grows');
  t.equal((await get(`/videos/${UID}/0.ts`)).headers['cache-control'], 'public, max-age=31536000, immutable');

  await recording.publisherLeft();
  await registry.until(2);
  const ready = await get(`/videos/${UID}/index.m3u8`);
  t.match(ready.body, /#EXT-X-ENDLIST/);
  t.equal(ready.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal((await get(`/videos/${UID}/0.ts`)).body.length, 1000);

  t.equal((await get(`/videos/${UID}/recording.json`)).statusCode, 400, 'only the playlist and segments');
  t.equal((await get(`/videos/${UID}/..%2F..%2Flive%2F0.ts`)).statusCode, 400);
  t.equal((await get(`/videos/${'f'.repeat(32)}/index.m3u8`)).statusCode, 404, 'a uid it does not hold');
  t.equal((await get('/videos/NOT-A-UID/index.m3u8')).statusCode, 400);
  t.equal((await get(`/videos/${UID}/7.ts`)).statusCode, 404);
});
