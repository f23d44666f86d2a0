import t, { type Test } from 'tap';
import HLS from 'hls-parser';
import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { HlsWriteError } from '../../src/hls/hls-errors.js';
import { HlsStreamWriter, type HlsStreamWriterOptions } from '../../src/hls/hls-stream-writer.js';

const START = Date.parse('2024-05-01T12:00:00.000Z');
const TS_PACKET = 188;

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A fake segment: `packets` TS packets of sync byte plus filler, easy to tell apart by size. */
function segmentBytes(packets: number, fill: number): Uint8Array {
  const data = new Uint8Array(packets * TS_PACKET).fill(fill);
  for (let offset = 0; offset < data.length; offset += TS_PACKET) data[offset] = 0x47;
  return data;
}

async function writer(t: Test, overrides: Partial<HlsStreamWriterOptions> = {}) {
  const errors: Error[] = [];
  const folder = join(t.testdir(), 'golive');
  const created = await HlsStreamWriter.create({
    folder,
    targetDurationSeconds: 1,
    windowSeconds: 3,
    segmentGraceMs: 60_000,
    firstMediaSequence: 0,
    onBackgroundError: (error) => errors.push(error),
    ...overrides,
  });
  t.teardown(() => created.close());
  return { writer: created, folder, errors };
}

function second(n: number) {
  return { durationSeconds: 1, programDateTime: new Date(START + n * 1000) };
}

t.test('a segment given as chunks is written as their bytes in order, empty chunks and many chunks included', async (t) => {
  const { writer: hls, folder } = await writer(t);
  const chunks = [segmentBytes(2, 1), new Uint8Array(0), segmentBytes(1, 2), ...Array.from({ length: 300 }, (_, i) => segmentBytes(1, i % 256))];
  await hls.writeSegment(chunks, second(0));
  t.same(await readFile(join(folder, '0.ts')), Buffer.concat(chunks), 'more chunks than one writev takes: still all of them, in order');
  t.same((await readdir(folder)).sort(), ['0.ts', 'index.m3u8'], 'no .tmp left');
});

t.test('writes <sequence>.ts and then the playlist naming it', async (t) => {
  const { writer: hls, folder } = await writer(t);
  const first = await hls.writeSegment(segmentBytes(2, 1), second(0));
  t.equal(first.uri, '0.ts');
  t.equal(first.mediaSequenceNumber, 0);
  await hls.writeSegment(segmentBytes(3, 2), second(1));

  t.same((await readdir(folder)).sort(), ['0.ts', '1.ts', 'index.m3u8'], 'no .tmp left');
  t.same(await readFile(join(folder, '1.ts')), Buffer.from(segmentBytes(3, 2)));
  t.equal(
    await readFile(hls.playlistPath, 'utf8'),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:1.000,
0.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:01.000Z
#EXTINF:1.000,
1.ts
`,
  );
});

t.test('calls without awaiting run in order', async (t) => {
  const { writer: hls, folder } = await writer(t);
  const written = await Promise.all([0, 1, 2, 3].map((n) => hls.writeSegment(segmentBytes(1, n), second(n))));
  t.same(
    written.map((segment) => segment.uri),
    ['0.ts', '1.ts', '2.ts', '3.ts'],
  );
  t.same(await readFile(join(folder, '3.ts')), Buffer.from(segmentBytes(1, 3)));
});

// A reader thread reads the playlist in a tight loop, then every segment it names, while the main
// thread writes segments. Threads run in parallel, so a non-atomic write would be seen. The reader
// publishes how many distinct playlists it has seen, and the writer goes on until it has seen
// enough, however late a loaded machine starts the thread.
const READER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { folder, segmentSize, shared } = workerData;
const flag = new Int32Array(shared);
const texts = new Set();
const problems = [];
let reads = 0;
while (Atomics.load(flag, 0) === 0) {
  let text;
  try {
    text = fs.readFileSync(path.join(folder, 'index.m3u8'), 'utf8');
  } catch (error) {
    if (error.code !== 'ENOENT') problems.push(String(error));
    continue;
  }
  reads += 1;
  if (texts.size < 5000) texts.add(text);
  Atomics.store(flag, 1, texts.size);
  for (const line of text.split('\\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const size = fs.statSync(path.join(folder, line), { throwIfNoEntry: false })?.size;
    if (size !== segmentSize) problems.push(line + ' has ' + size + ' bytes');
  }
}
parentPort.postMessage({ reads, texts: [...texts], problems: problems.slice(0, 10) });
`;

t.test('a reader never sees a partial playlist nor a missing or partial segment', async (t) => {
  const { writer: hls, folder } = await writer(t);
  const packets = 500;
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  const reader = new Worker(READER, { eval: true, workerData: { folder, segmentSize: packets * TS_PACKET, shared } });
  const report = new Promise<{ reads: number; texts: string[]; problems: string[] }>((resolve, reject) => {
    reader.once('message', resolve);
    reader.once('error', reject);
  });

  const enoughPlaylists = 50;
  for (let n = 0; n < 200 || (Atomics.load(state, 1) < enoughPlaylists && n < 20_000); n += 1) {
    await hls.writeSegment(segmentBytes(packets, n % 256), second(n));
  }
  Atomics.store(state, 0, 1);
  const { reads, texts, problems } = await report;

  t.same(problems, []);
  t.ok(reads > 0, `${reads} reads`);
  t.ok(texts.length > 10, `${texts.length} distinct playlists seen while writing`);
  HLS.setOptions({ strictMode: true });
  t.teardown(() => HLS.setOptions({ strictMode: false }));
  for (const text of texts) {
    const playlist = HLS.parse(text);
    if (!(playlist instanceof HLS.types.MediaPlaylist)) throw new Error(`not a media playlist:\n${text}`);
    const first = playlist.segments[0];
    if (!first || !text.endsWith(`${playlist.segments.at(-1)?.uri}\n`)) throw new Error(`cut playlist:\n${text}`);
    t.equal(first.uri, `${playlist.mediaSequenceBase ?? 0}.ts`, 'media sequence matches the first name');
  }
});

t.test('segments that left the window are deleted after the grace period', async (t) => {
  const timers = new ManualTimers();
  const { writer: hls, folder } = await writer(t, { segmentGraceMs: 300, schedule: timers.schedule });
  // Window 3 s of 1 s segments: the fourth segment pushes 0.ts out.
  for (let n = 0; n < 4; n += 1) await hls.writeSegment(segmentBytes(1, n), second(n));
  t.notMatch(await readFile(hls.playlistPath, 'utf8'), /^0\.ts$/m, '0.ts left the playlist');
  t.same(timers.pending, [300], 'its deletion is due after the grace period');
  timers.advance(299);
  t.ok(await exists(join(folder, '0.ts')), 'it stays on disk until then');
  timers.advance(1);
  await waitFor('0.ts deleted', async () => !(await exists(join(folder, '0.ts'))), { timeoutMs: 60_000 });
  t.ok(await exists(join(folder, '1.ts')), '1.ts is still in the playlist');
  t.same(timers.pending, []);
});

t.test('close() cancels pending deletions and refuses more work', async (t) => {
  const timers = new ManualTimers();
  const { writer: hls, folder } = await writer(t, { segmentGraceMs: 100, schedule: timers.schedule });
  for (let n = 0; n < 4; n += 1) await hls.writeSegment(segmentBytes(1, n), second(n));
  t.same(timers.pending, [100], 'a deletion is pending');
  await hls.close();
  t.same(timers.pending, [], 'close() cancelled it');
  timers.advance(1_000);
  t.ok(await exists(join(folder, '0.ts')));
  await t.rejects(hls.writeSegment(segmentBytes(1, 4), second(4)), { code: 'LIVE_ERR_HLS_WRITER_CLOSED' });
});

t.test('end() publishes ENDLIST; resume() brings a discontinuity', async (t) => {
  let ended = 0;
  const { writer: hls } = await writer(t, { onEnded: () => (ended += 1) });
  await hls.writeSegment(segmentBytes(1, 0), second(0));
  await hls.end();
  t.equal(ended, 1);
  t.match(await readFile(hls.playlistPath, 'utf8'), /\n0\.ts\n#EXT-X-ENDLIST\n$/);
  await hls.resume();
  await hls.writeSegment(segmentBytes(1, 1), second(10));
  t.match(
    await readFile(hls.playlistPath, 'utf8'),
    /\n0\.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\n#EXTINF:1.000,\n1\.ts\n$/,
  );
});

t.test('a deleted folder rejects with the path, and writing goes on once it is back', async (t) => {
  const { writer: hls, folder, errors } = await writer(t);
  await hls.writeSegment(segmentBytes(1, 0), second(0));
  await rm(folder, { recursive: true });

  const failure = await hls.writeSegment(segmentBytes(1, 1), second(1)).catch((error: unknown) => error);
  t.ok(failure instanceof HlsWriteError);
  t.match(String((failure as Error).message), `cannot write ${join(folder, '1.ts')}: ENOENT`);
  t.equal((failure as HlsWriteError).path, join(folder, '1.ts'));

  await mkdir(folder);
  const next = await hls.writeSegment(segmentBytes(1, 1), second(1));
  t.equal(next.uri, '1.ts', 'the failed segment did not use up its sequence number');
  t.match(await readFile(hls.playlistPath, 'utf8'), /\n1\.ts\n$/);
  t.same(errors, []);
});


t.test('a segment written as it grows: only a .tmp until writeSegment completes it, then the whole segment under its name', async (t) => {
  const { writer: hls, folder } = await writer(t);
  const parts = [segmentBytes(2, 1), segmentBytes(3, 2), segmentBytes(1, 3)];
  await hls.appendToSegment([parts[0]!]);
  await hls.appendToSegment([parts[1]!]);
  t.same(await readdir(folder), ['0.ts.tmp'], 'no segment a reader could open, no playlist yet');
  const written = await hls.writeSegment([parts[2]!], second(0));
  t.equal(written.uri, '0.ts');
  t.same(await readFile(join(folder, '0.ts')), Buffer.concat(parts), 'every byte, in order');
  t.same((await readdir(folder)).sort(), ['0.ts', 'index.m3u8'], 'no .tmp left');
  await hls.appendToSegment([parts[1]!]);
  await hls.writeSegment([], second(1));
  t.same(await readFile(join(folder, '1.ts')), Buffer.from(parts[1]!), 'the next segment starts afresh');
});

t.test('a growing segment that fails is skipped once, with the path; the next one is written', async (t) => {
  const { writer: hls, folder, errors } = await writer(t);
  await hls.writeSegment(segmentBytes(1, 0), second(0));
  await rm(folder, { recursive: true });
  await hls.appendToSegment([segmentBytes(1, 1)]);
  await mkdir(folder);
  await hls.appendToSegment([segmentBytes(1, 2)]);
  const failure = await hls.writeSegment([segmentBytes(1, 3)], second(1)).catch((error: unknown) => error);
  t.ok(failure instanceof HlsWriteError, 'writeSegment rejects');
  t.equal((failure as HlsWriteError).path, join(folder, '1.ts'));
  t.same(await readdir(folder), [], 'nothing of it left, not even the bytes appended after the failure');
  await hls.appendToSegment([segmentBytes(2, 4)]);
  const next = await hls.writeSegment([segmentBytes(1, 5)], second(1));
  t.equal(next.uri, '1.ts', 'the failed segment did not use up its sequence number');
  t.same(await readFile(join(folder, '1.ts')), Buffer.concat([segmentBytes(2, 4), segmentBytes(1, 5)]));
  t.same(errors, []);
});

t.test('a growing segment nobody completes (the stream handed over, or the writer closed) leaves no file', async (t) => {
  const { writer: hls, folder } = await writer(t);
  await hls.appendToSegment([segmentBytes(2, 1)]);
  await hls.handOver();
  t.same(await readdir(folder), [], 'handOver drops it');
  const other = await writer(t);
  await other.writer.appendToSegment([segmentBytes(2, 1)]);
  await other.writer.close();
  t.same(await readdir(other.folder), [], 'close drops it');
});
