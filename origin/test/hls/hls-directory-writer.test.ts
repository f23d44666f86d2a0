import t, { type Test } from 'tap';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { HlsDirectoryWriter, type HlsDirectoryWriterOptions } from '../../src/hls/hls-directory-writer.js';

const START = Date.parse('2024-05-01T12:00:00.000Z');

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function directory(t: Test, overrides: Partial<HlsDirectoryWriterOptions> = {}) {
  const errors: Error[] = [];
  const hlsPath = join(t.testdir(), 'hls');
  const timers = new ManualTimers();
  let nextFirst = 0;
  const hls = new HlsDirectoryWriter({
    hlsPath,
    targetDurationSeconds: 1,
    playlistLengthSeconds: 3,
    onBackgroundError: (error) => errors.push(error),
    // Each new stream session starts 1000 numbers further, like the clock would.
    firstMediaSequence: () => (nextFirst += 1000) - 1000,
    schedule: timers.schedule,
    ...overrides,
  });
  t.teardown(() => hls.close());
  return { hls, hlsPath, errors, timers };
}

function second(n: number) {
  return { durationSeconds: 1, programDateTime: new Date(START + n * 1000) };
}

const SEGMENT = new Uint8Array(188).fill(0x47);

t.test('a stream gets HLS_PATH/<name>/index.m3u8 and <sequence>.ts', async (t) => {
  const { hls, hlsPath } = directory(t);
  const stream = await hls.startStream('golive');
  t.equal(stream.folder, join(hlsPath, 'golive'));
  await stream.writeSegment(SEGMENT, second(0));
  t.same((await readdir(join(hlsPath, 'golive'))).sort(), ['0.ts', 'index.m3u8']);
});

t.test('stream names that are not one safe path segment are refused', async (t) => {
  const { hls } = directory(t);
  for (const name of ['', '..', 'a/b', 'a.b', 'x'.repeat(129)]) {
    await t.rejects(hls.startStream(name), { code: 'LIVE_ERR_HLS_STREAM_NAME' }, JSON.stringify(name));
  }
});

t.test('by default a new stream starts its media sequence at the clock in milliseconds', async (t) => {
  const { hls } = directory(t, { firstMediaSequence: undefined });
  const before = Date.now();
  const segment = await (await hls.startStream('golive')).writeSegment(SEGMENT, second(0));
  t.ok(segment.mediaSequenceNumber >= before && segment.mediaSequenceNumber <= Date.now());
  t.equal(segment.uri, `${segment.mediaSequenceNumber}.ts`);
});

t.test('a finished stream folder is removed after the cleanup delay', async (t) => {
  const { hls, hlsPath, errors, timers } = directory(t, { cleanupAfterEndSeconds: 0.2 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  const folder = join(hlsPath, 'golive');
  t.same(timers.pending, [200], 'the cleanup is due after the delay');
  timers.advance(199);
  t.match(await readFile(join(folder, 'index.m3u8'), 'utf8'), /#EXT-X-ENDLIST\n$/, 'until then late viewers see the end');
  timers.advance(1);
  await waitFor('folder removed', async () => !(await exists(folder)), { timeoutMs: 60_000 });
  t.same(errors, []);

  const again = await hls.startStream('golive');
  t.not(again, stream, 'a new session after cleanup');
  const segment = await again.writeSegment(SEGMENT, second(100));
  t.equal(segment.uri, '1000.ts', 'with a fresh media sequence that reuses no segment name');
  t.notMatch(await readFile(join(folder, 'index.m3u8'), 'utf8'), /DISCONTINUITY/);
});

t.test('a stream that comes back before the cleanup continues with a discontinuity', async (t) => {
  const { hls, hlsPath, errors, timers } = directory(t, { cleanupAfterEndSeconds: 0.2 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  t.same(timers.pending, [200]);

  const resumed = await hls.startStream('golive');
  t.equal(resumed, stream, 'same writer: the media sequence continues');
  t.same(timers.pending, [], 'cleanup was cancelled');
  timers.advance(1_000);
  const folder = join(hlsPath, 'golive');
  t.ok(await exists(join(folder, '0.ts')), 'and nothing was removed');

  await resumed.writeSegment(SEGMENT, second(30));
  t.equal(
    await readFile(join(folder, 'index.m3u8'), 'utf8'),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:1.000,
0.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:30.000Z
#EXTINF:1.000,
1.ts
`,
  );

  await resumed.end();
  t.same(timers.pending, [200], 'the second end schedules a cleanup again');
  timers.advance(200);
  await waitFor('folder removed after the second end', async () => !(await exists(folder)), { timeoutMs: 60_000 });
  t.same(errors, []);
});

t.test('a foreign file keeps the folder and is reported', async (t) => {
  const { hls, hlsPath, errors, timers } = directory(t, { cleanupAfterEndSeconds: 0.05 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await writeFile(join(hlsPath, 'golive', 'notes.txt'), 'mine');
  await stream.end();
  timers.advance(50);
  await waitFor('error reported', () => errors.length > 0, { timeoutMs: 60_000 });
  t.match(errors[0]?.message, `cannot remove folder ${join(hlsPath, 'golive')}`);
  t.same(await readdir(join(hlsPath, 'golive')), ['notes.txt'], 'only our files were deleted');
});

t.test('close() cancels pending cleanups and refuses new streams', async (t) => {
  const { hls, hlsPath, timers } = directory(t, { cleanupAfterEndSeconds: 0.1 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  t.same(timers.pending, [100], 'a cleanup is pending');
  await hls.close();
  t.same(timers.pending, [], 'close() cancelled it');
  timers.advance(1_000);
  t.ok(await exists(join(hlsPath, 'golive', 'index.m3u8')));
  await t.rejects(hls.startStream('other'), { code: 'LIVE_ERR_HLS_WRITER_CLOSED' });
});

t.test('the default timers are real: a cleanup runs on its own', async (t) => {
  const { hls, hlsPath } = directory(t, { cleanupAfterEndSeconds: 0.01, schedule: undefined });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  await waitFor('folder removed', async () => !(await exists(join(hlsPath, 'golive'))), { timeoutMs: 60_000 });
  t.pass('removed');
});
