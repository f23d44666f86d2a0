import { link, mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { Recorder, type VideoRecording } from '../../src/recording/recorder.js';
import { parseRecordingInfo } from '../../src/recording/recording-info.js';
import { keepSegment } from '../../src/recording/recording-files.js';
import { closeUnfinishedRecordings, removeExpiredRecordings } from '../../src/recording/recording-recovery.js';

const logger = pino({ level: 'silent' });
const STREAM = 'abc12345';
const T0 = Date.parse('2026-11-30T12:00:00.000Z');

/** A recorder on real files in a test folder, with a hand-run clock and uids 000…1, 000…2, … */
function setup(t: Test, { maxDurationSeconds }: { maxDurationSeconds?: number } = {}) {
  const root = t.testdir({ live: {}, recordings: {} });
  const timers = new ManualTimers();
  let clock = T0;
  let uids = 0;
  const recorder = new Recorder({
    recordingsPath: join(root, 'recordings'),
    targetDurationSeconds: 2,
    ...(maxDurationSeconds === undefined ? {} : { maxDurationSeconds }),
    logger,
    schedule: timers.schedule,
    now: () => clock,
    newUid: () => String(++uids).padStart(32, '0'),
  });
  let liveSequence = 0;
  /** Writes a live segment file, as the HLS writer does, and hands it to `recording`. */
  const segment = async (recording: VideoRecording, durationSeconds = 2, bytes = 1000) => {
    const file = join(root, 'live', `${liveSequence++}.ts`);
    await writeFile(file, Buffer.alloc(bytes, liveSequence));
    await recording.addSegment({ file, durationSeconds, bytes, width: 640, height: 360 });
    return file;
  };
  const folder = (uid: number) => join(root, 'recordings', STREAM, String(uid).padStart(32, '0'));
  const playlist = (uid: number) => readFile(join(folder(uid), 'index.m3u8'), 'utf8');
  const info = async (uid: number) => parseRecordingInfo(await readFile(join(folder(uid), 'recording.json'), 'utf8'));
  const tick = (ms: number) => {
    clock += ms;
    timers.advance(ms);
  };
  return { root, recorder, timers, segment, folder, playlist, info, tick };
}

t.test('a session becomes a video: EVENT while live, VOD with ENDLIST once the publisher left', async (t) => {
  const { recorder, segment, folder, playlist, info, root } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 });
  if (!recording) throw new Error('automatic mode records');
  const first = await segment(recording, 2.002, 1200);
  await segment(recording, 1.998, 800);
  t.equal(
    await playlist(1),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n' +
      '#EXTINF:2.002,\n0.ts\n#EXTINF:1.998,\n1.ts\n',
  );
  t.same(await info(1), {
    uid: '00000000000000000000000000000001',
    stream: STREAM,
    created: '2026-11-30T12:00:00.000Z',
    ended: null,
    duration_s: 4,
    size_bytes: 2000,
    width: 640,
    height: 360,
  });
  t.equal((await stat(join(folder(1), '0.ts'))).ino, (await stat(first)).ino, 'hard-linked, not copied');
  await unlink(first);
  t.equal((await readFile(join(folder(1), '0.ts'))).byteLength, 1200, "the live window's deletion leaves the recording's segment");

  t.same(recorder.recordingTotals, { bytes: 2000, failures: 0 }, 'counted for the metrics');
  await t.rejects(recording.addSegment({ file: join(root, 'live', 'gone.ts'), durationSeconds: 2, bytes: 10 }), { code: 'ENOENT' });
  t.same(recorder.recordingTotals, { bytes: 2000, failures: 1 }, 'a segment that could not be kept is a failure');
  await recording.publisherLeft();
  t.match(await playlist(1), /#EXT-X-PLAYLIST-TYPE:VOD\n[\s\S]*1\.ts\n#EXT-X-ENDLIST\n$/);
  t.equal((await info(1)).ended, '2026-11-30T12:00:00.000Z');
  t.equal(recorder.size, 0);
  t.same((await readdir(join(root, 'recordings', STREAM))).sort(), ['00000000000000000000000000000001']);
});

t.test('a publisher back within timeoutSeconds continues the video after a discontinuity; later, a new video', async (t) => {
  const { recorder, segment, playlist, info, tick, timers } = setup(t);
  const setting = { mode: 'automatic' as const, timeout_seconds: 10 };
  const first = recorder.start(STREAM, setting)!;
  await segment(first);
  await first.publisherLeft();
  t.same(timers.pending, [10_000], 'waits timeoutSeconds for the publisher');
  t.notMatch(await playlist(1), /ENDLIST/);
  tick(9_000);
  const back = recorder.start(STREAM, setting)!;
  t.same(timers.pending, [], 'the timeout is cancelled');
  await segment(back);
  t.match(await playlist(1), /0\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000,\n1\.ts\n$/);
  await back.publisherLeft();
  tick(10_000);
  await recorder.closeAll();
  t.match(await playlist(1), /#EXT-X-ENDLIST\n$/);
  t.equal((await info(1)).ended, new Date(T0 + 19_000).toISOString(), 'closed when the timeout ran out');
  t.equal((await info(1)).duration_s, 4);

  const later = new Recorder({ recordingsPath: join(t.testdirName, 'recordings'), targetDurationSeconds: 2, logger });
  t.teardown(() => later.closeAll());
  t.not(later.start(STREAM, setting), undefined);
});

t.test("a late leave of an earlier session does not close the video its successor continues", async (t) => {
  const { recorder, segment, playlist, timers } = setup(t);
  const setting = { mode: 'automatic' as const, timeout_seconds: 0 };
  const first = recorder.start(STREAM, { ...setting, timeout_seconds: 5 })!;
  await segment(first);
  const second = recorder.start(STREAM, setting)!;
  await first.publisherLeft();
  t.same(timers.pending, [], 'nothing scheduled for the old session');
  await segment(second);
  t.notMatch(await playlist(1), /ENDLIST/);
  await second.publisherLeft();
  t.match(await playlist(1), /#EXT-X-DISCONTINUITY\n#EXTINF:2\.000,\n1\.ts\n#EXT-X-ENDLIST\n$/);
});

t.test('a deleted stream closes its video now, whatever its timeout', async (t) => {
  const { recorder, segment, playlist, timers } = setup(t);
  const setting = { mode: 'automatic' as const, timeout_seconds: 600 };
  const live = recorder.start(STREAM, setting)!;
  await segment(live);
  await live.publisherLeft(true);
  t.same(timers.pending, [], 'no wait for a publisher of a deleted stream');
  t.match(await playlist(1), /#EXT-X-ENDLIST\n$/);

  const waiting = recorder.start(STREAM, setting)!;
  await segment(waiting);
  await waiting.publisherLeft();
  t.same(timers.pending, [600_000]);
  await recorder.endForGood(STREAM);
  t.same(timers.pending, [], 'the wait is cancelled');
  t.match(await playlist(2), /#EXT-X-ENDLIST\n$/);
  t.equal(recorder.size, 0);
});

t.test('mode off records nothing and closes a video waiting for its publisher', async (t) => {
  const { recorder, segment, playlist, root } = setup(t);
  t.equal(recorder.start(STREAM, { mode: 'off', timeout_seconds: 0 }), undefined);
  t.same(await readdir(join(root, 'recordings')), []);
  const first = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 60 })!;
  await segment(first);
  await first.publisherLeft();
  t.equal(recorder.start(STREAM, { mode: 'off', timeout_seconds: 60 }), undefined);
  await recorder.closeAll();
  t.match(await playlist(1), /#EXT-X-ENDLIST\n$/);
});

t.test('RECORDING_MAX_SECONDS: a video that reaches it is closed and the session goes on in a new one', async (t) => {
  const { recorder, segment, playlist, info } = setup(t, { maxDurationSeconds: 4 });
  const setting = { mode: 'automatic' as const, timeout_seconds: 30 };
  const live = recorder.start(STREAM, setting)!;
  for (let n = 0; n < 5; n++) await segment(live);
  const closed = '#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\n0.ts\n#EXTINF:2.000,\n1.ts\n#EXT-X-ENDLIST\n';
  t.ok((await playlist(1)).endsWith(closed), 'the first video closed at 4 s, without waiting for the publisher');
  t.ok((await playlist(2)).endsWith(closed), 'the second one too');
  t.match(await playlist(3), /EVENT\n#EXTINF:2\.000,\n0\.ts\n$/, 'the third goes on, starting clean (no discontinuity)');
  t.same([(await info(1)).duration_s, (await info(2)).duration_s], [4, 4]);
  t.equal(recorder.size, 1, 'one open video');
  await live.publisherLeft();
  await segment(recorder.start(STREAM, setting)!);
  t.match(
    await playlist(3),
    /0\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000,\n1\.ts\n#EXT-X-ENDLIST\n$/,
    'a publisher back within the timeout continues the new video, which then reaches the cap in turn',
  );
});

t.test('a session past RECORDING_MAX_SECONDS does not take the stream from a later session', async (t) => {
  const { recorder, segment, playlist } = setup(t, { maxDurationSeconds: 2 });
  const setting = { mode: 'automatic' as const, timeout_seconds: 0 };
  const old = recorder.start(STREAM, setting)!;
  await segment(old);
  t.match(await playlist(1), /#EXT-X-ENDLIST\n$/, 'the first video is full and closed');
  const replacing = recorder.start(STREAM, setting)!;
  await segment(old);
  t.equal(recorder.size, 1, "the old session's late segment started no video");
  await segment(replacing, 1);
  t.match(await playlist(2), /EVENT\n#EXTINF:1\.000,\n0\.ts\n$/, 'the later session records on');
  await recorder.closeAll();
  t.match(await playlist(2), /#EXT-X-ENDLIST\n$/, 'and its video is closed with the others');
});

t.test('stopRecording closes the open video now (quota): the session goes on unrecorded', async (t) => {
  const { recorder, segment, playlist, folder } = setup(t);
  const live = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 30 })!;
  await segment(live);
  t.equal(await recorder.stopRecording('0'.repeat(32)), false, 'an unknown uid');
  t.equal(await recorder.stopRecording('00000000000000000000000000000001'), true);
  t.match(await playlist(1), /VOD\n#EXTINF:2\.000,\n0\.ts\n#EXT-X-ENDLIST\n$/);
  await segment(live);
  t.same(await readdir(folder(1)), ['0.ts', 'index.m3u8', 'recording.json'], 'a later segment is not kept');
  t.equal(recorder.size, 0);
});

t.test('a session that finished no segment leaves no video', async (t) => {
  const { recorder, root } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 })!;
  await recording.publisherLeft();
  t.same(await readdir(join(root, 'recordings')), []);
});

t.test('a live segment on another file system is copied', async (t) => {
  // /dev/shm is a tmpfs: link(2) from there into the test folder fails with EXDEV.
  const shm = await mkdtemp('/dev/shm/livestack-recorder-');
  t.teardown(() => rm(shm, { recursive: true, force: true }));
  const { root } = setup(t);
  const live = join(shm, '7.ts');
  await writeFile(live, 'segment bytes');
  const kept = join(root, 'recordings', 'copied.ts');
  t.equal(await keepSegment(live, kept), 'copied');
  t.equal(await readFile(kept, 'utf8'), 'segment bytes');
  t.equal((await stat(kept)).nlink, 1);
  t.equal(await keepSegment(join(root, 'recordings', 'copied.ts'), join(root, 'recordings', 'linked.ts')), 'linked');
});

t.test('origin start: a recording left open by a crash is closed over what it lists', async (t) => {
  const { recorder, segment, folder, playlist, info, root } = setup(t);
  const recording = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 })!;
  await segment(recording);
  await segment(recording);
  // The crash: no close. A segment linked but never listed, and an empty folder of a session that died at once.
  await link(join(root, 'live', '0.ts'), join(folder(1), '2.ts'));
  const orphan = join(root, 'recordings', STREAM, 'ffffffffffffffffffffffffffffffff');
  await mkdir(orphan);
  const result = await closeUnfinishedRecordings(join(root, 'recordings'));
  t.same(result, { closed: [folder(1)], removed: [orphan] });
  t.equal(
    await playlist(1),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n' +
      '#EXTINF:2.000,\n0.ts\n#EXTINF:2.000,\n1.ts\n#EXT-X-ENDLIST\n',
  );
  t.same((await readdir(folder(1))).sort(), ['0.ts', '1.ts', 'index.m3u8', 'recording.json'], 'the unlisted segment is gone');
  const closed = await info(1);
  t.equal(closed.duration_s, 4);
  t.equal(closed.size_bytes, 2000);
  t.ok(closed.ended && Date.parse(closed.ended) >= Date.now() - 60_000, 'ended when its playlist last changed');
  t.same(await closeUnfinishedRecordings(join(root, 'recordings')), { closed: [], removed: [] }, 'a second start finds nothing to do');
});

t.test('retention removes closed recordings that ended long enough ago, never open ones', async (t) => {
  const { recorder, segment, folder, root, tick } = setup(t);
  const old = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 })!;
  await segment(old);
  await old.publisherLeft();
  tick(1000);
  const open = recorder.start(STREAM, { mode: 'automatic', timeout_seconds: 0 })!;
  await segment(open);
  const day = 24 * 3600 * 1000;
  t.same(await removeExpiredRecordings(join(root, 'recordings'), day, T0 + day - 1), [], 'not yet');
  t.same(await removeExpiredRecordings(join(root, 'recordings'), day, T0 + day + 1), [folder(1)]);
  t.same(await readdir(join(root, 'recordings', STREAM)), ['00000000000000000000000000000002'], 'the open one stays');
  await recorder.closeAll();
});
