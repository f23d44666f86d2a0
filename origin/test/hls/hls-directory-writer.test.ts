import t, { type Test } from 'tap';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  let nextFirst = 0;
  const hls = new HlsDirectoryWriter({
    hlsPath,
    targetDurationSeconds: 1,
    playlistLengthSeconds: 3,
    onBackgroundError: (error) => errors.push(error),
    // Each new stream session starts 1000 numbers further, like the clock would.
    firstMediaSequence: () => (nextFirst += 1000) - 1000,
    ...overrides,
  });
  t.teardown(() => hls.close());
  return { hls, hlsPath, errors };
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
  const { hls, hlsPath, errors } = directory(t, { cleanupAfterEndSeconds: 0.2 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  const folder = join(hlsPath, 'golive');
  t.match(await readFile(join(folder, 'index.m3u8'), 'utf8'), /#EXT-X-ENDLIST\n$/, 'late viewers see the end');
  await waitFor('folder removed', async () => !(await exists(folder)), { timeoutMs: 3000 });
  t.same(errors, []);

  const again = await hls.startStream('golive');
  t.not(again, stream, 'a new session after cleanup');
  const segment = await again.writeSegment(SEGMENT, second(100));
  t.equal(segment.uri, '1000.ts', 'with a fresh media sequence that reuses no segment name');
  t.notMatch(await readFile(join(folder, 'index.m3u8'), 'utf8'), /DISCONTINUITY/);
});

t.test('a stream that comes back before the cleanup continues with a discontinuity', async (t) => {
  const { hls, hlsPath, errors } = directory(t, { cleanupAfterEndSeconds: 0.2 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();

  const resumed = await hls.startStream('golive');
  t.equal(resumed, stream, 'same writer: the media sequence continues');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const folder = join(hlsPath, 'golive');
  t.ok(await exists(join(folder, '0.ts')), 'cleanup was cancelled');

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
  await waitFor('folder removed after the second end', async () => !(await exists(folder)), { timeoutMs: 3000 });
  t.same(errors, []);
});

t.test('a foreign file keeps the folder and is reported', async (t) => {
  const { hls, hlsPath, errors } = directory(t, { cleanupAfterEndSeconds: 0.05 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await writeFile(join(hlsPath, 'golive', 'notes.txt'), 'mine');
  await stream.end();
  await waitFor('error reported', () => errors.length > 0, { timeoutMs: 3000 });
  t.match(errors[0]?.message, `cannot remove folder ${join(hlsPath, 'golive')}`);
  t.same(await readdir(join(hlsPath, 'golive')), ['notes.txt'], 'only our files were deleted');
});

t.test('close() cancels pending cleanups and refuses new streams', async (t) => {
  const { hls, hlsPath } = directory(t, { cleanupAfterEndSeconds: 0.1 });
  const stream = await hls.startStream('golive');
  await stream.writeSegment(SEGMENT, second(0));
  await stream.end();
  await hls.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.ok(await exists(join(hlsPath, 'golive', 'index.m3u8')));
  await t.rejects(hls.startStream('other'), { code: 'LIVE_ERR_HLS_WRITER_CLOSED' });
});
