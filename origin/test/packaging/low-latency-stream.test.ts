/**
 * The LL-HLS store of one stream, fed a real clip through the front stage: what it holds, for how
 * long (deletions run on manual timers), and what a new source or the end does to its playlist.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { HlsSegmenter } from '../../src/media/segmenter.js';
import { LowLatencyStream } from '../../src/packaging/low-latency-stream.js';
import { LowLatencyStreams } from '../../src/packaging/low-latency-streams.js';
import { SpillFolder, type SegmentSpill } from '../../src/packaging/segment-spill.js';
import type { FinishedSegment } from '../../src/llhls/index.js';
import { parseDashMediaName } from '../../../llhls-contract/src/dash-names.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';
import { PendingOperations } from './pending-operations.js';

const segments = readSegmentSettings({});
const options = { partTargetSeconds: 0.334, segments, windowSeconds: 4, graceSeconds: 10, firstMediaSequence: 500 };

async function feed(stream: LowLatencyStream, clip = 'h264-aac.flv'): Promise<void> {
  const segmenter = new HlsSegmenter(segments, [stream]);
  for (const tag of readFlvTags(new Uint8Array(await readFile(testAsset(clip))))) segmenter.push(tag);
  segmenter.flush();
}

t.test('files are stored before they are listed; segments that leave the window go after the grace period, with their parts', async (t) => {
  const timers = new ManualTimers();
  const stream = new LowLatencyStream({ ...options, schedule: timers.schedule });
  await feed(stream);
  await feed(stream);
  const { playlist } = stream;
  for (const segment of playlist.segments) {
    t.ok(stream.file(segment.uri), `${segment.uri} stored`);
    t.ok(stream.file(segment.initSectionUri), `${segment.initSectionUri} stored`);
    for (const part of segment.parts) t.ok(stream.file(part.uri), `${part.uri} stored`);
  }
  t.ok(playlist.mediaSequence > 500, 'a 4 s window: the first segments left the playlist');
  t.ok(stream.file('500.m4s') && stream.file('500.0.m4s'), 'and are still downloadable during the grace period');
  t.ok(stream.file('init-500.mp4'), 'their init section too');
  timers.advance(10_000);
  t.notOk(stream.file('500.m4s'), 'gone after the grace period');
  t.notOk(stream.file('500.0.m4s'), 'with its parts');
  t.notOk(stream.file('init-500.mp4'), 'and the first source\'s init, no longer used by any segment');
  t.ok(stream.file(playlist.segments[0]!.initSectionUri), 'the init the listed segments use stays');
  stream.close();
  t.same(timers.pending, [], 'close cancels the deletions');
});

t.test('a new source is a discontinuity with its own init section; the end is ENDLIST; a returning publisher resumes', async (t) => {
  const timers = new ManualTimers();
  const streams = new LowLatencyStreams({ ...options, windowSeconds: 60, cleanupAfterEndSeconds: 300, schedule: timers.schedule, firstMediaSequence: () => 500 });
  const stream = streams.start('s1');
  await feed(stream);
  await feed(stream, 'aac-only.flv');
  const second = stream.playlist.segments.find((segment) => segment.discontinuity);
  t.ok(second, 'the second source opens with a discontinuity');
  t.not(second!.initSectionUri, stream.playlist.segments[0]!.initSectionUri, 'and a new init section');
  stream.end();
  t.ok(stream.playlist.ended);
  t.match(stream.playlist.render(), /#EXT-X-ENDLIST\n$/);

  streams.finished('s1');
  t.equal(streams.start('s1'), stream, 'a publisher back before the cleanup continues the stream');
  t.notOk(stream.playlist.ended, 'ENDLIST goes');
  streams.finished('s1');
  timers.advance(300_000);
  t.equal(streams.get('s1'), undefined, 'cleaned up after HLS_CLEANUP_AFTER_END_SECONDS');
  t.equal(stream.file(second!.uri), undefined, 'its files dropped');
});

/** A SpillFolder that keeps what it was asked to write (to compare with the file) and can be made to fail. */
class RecordingSpill implements SegmentSpill {
  readonly written = new Map<string, Buffer>();
  private readonly pending = new PendingOperations();
  failWith: Error | undefined;
  private readonly folder: SpillFolder;

  constructor(readonly dir: string) {
    this.folder = new SpillFolder(dir);
  }

  path(name: string): string {
    return this.folder.path(name);
  }

  write(name: string, buffers: readonly Uint8Array[]): Promise<void> {
    this.written.set(name, Buffer.concat(buffers));
    return this.pending.track(this.failWith ? Promise.reject(this.failWith) : this.folder.write(name, buffers));
  }

  remove(name: string): Promise<void> {
    return this.pending.track(this.folder.remove(name));
  }

  /** Every write and removal asked for so far has ended (and the stream has seen it). */
  settled(): Promise<void> {
    return this.pending.settled();
  }
}

/** What `stream` serves as `name` from disk: the ranges of its segment's file, back to back. */
async function readSpilled(stream: LowLatencyStream, name: string): Promise<Buffer | undefined> {
  const spilled = stream.spilledFile(name);
  if (!spilled) return undefined;
  const file = await readFile(spilled.path);
  return Buffer.concat(spilled.ranges.map(({ offset, length }) => file.subarray(offset, offset + length)));
}

/** The names a finished segment is served under: itself, its parts, its DASH track segments. */
function namesOf(twin: LowLatencyStream, segment: FinishedSegment): string[] {
  // The DASH Period is named by the segment its init section came with (`init-<msn>.mp4`).
  const period = Number(/^init-([0-9]+)\.mp4$/.exec(segment.initSectionUri)![1]);
  const dash = ['v', 'a'].map((track) => `${track}-${period}-${segment.mediaSequenceNumber - period}.m4s`);
  return [segment.uri, ...segment.parts.map((part) => part.uri), ...dash.filter((name) => twin.file(name))];
}

t.test('finished segments go to disk as one file each and are served from it: the segment, its parts and its DASH track segments, byte for byte; the grace period deletes the files', async (t) => {
  const timers = new ManualTimers();
  const spill = new RecordingSpill(t.testdir());
  const stream = new LowLatencyStream({ ...options, windowSeconds: 60, graceSeconds: 10, schedule: timers.schedule, spill, onSpillError: (error) => t.fail(String(error)) });
  // The same media without a spill: what each name is in memory.
  const twin = new LowLatencyStream({ ...options, windowSeconds: 60, graceSeconds: 10, schedule: timers.schedule });
  for (const output of [stream, twin]) {
    await feed(output);
    await feed(output);
  }
  await spill.settled();
  const finished = stream.playlist.segments;
  t.ok(finished.length >= 4, `${finished.length} finished segments`);
  t.same([...spill.written.keys()], finished.map((segment) => segment.uri), 'one write per finished segment, nothing else');
  for (const segment of finished) {
    const names = namesOf(twin, segment);
    t.ok(names.filter((name) => name.startsWith('v-') || name.startsWith('a-')).length === 2, `${segment.uri}: two DASH track segments`);
    for (const name of names) {
      t.notOk(stream.file(name), `${name} not in memory`);
      t.same(await readSpilled(stream, name), Buffer.concat(twin.file(name)!), `${name} from disk, byte for byte`);
    }
    t.equal(stream.spilledFile(segment.uri)!.path, join(spill.dir, segment.uri), `${segment.uri}: the file is the segment's`);
  }
  const video = stream.spilledFile(`v-500-${finished[1]!.mediaSequenceNumber - 500}.m4s`)!;
  t.ok(video.ranges.length > 1, `a DASH track segment is several ranges of the muxed file (${video.ranges.length})`);
  t.ok(stream.file(finished[0]!.initSectionUri), 'init sections stay in memory');
  t.ok(stream.playlist.segmentInProgress === undefined || stream.playlist.segmentInProgress.parts.every((part) => stream.file(part.uri)), 'the parts of the segment in progress are in memory');

  // A short window: the spilled segments leave the playlist, and the grace period deletes their files.
  const short = new LowLatencyStream({ ...options, windowSeconds: 6, graceSeconds: 10, schedule: timers.schedule, spill, onSpillError: (error) => t.fail(String(error)), firstMediaSequence: 9000 });
  await feed(short);
  await feed(short);
  await feed(short);
  await spill.settled();
  t.ok(short.spilledFile('9000.m4s') && short.spilledFile('9000.0.m4s'), 'the first segment and its parts on disk during the grace period');
  timers.advance(10_000);
  await spill.settled();
  t.notOk(short.spilledFile('9000.m4s'), 'gone after the grace period');
  t.notOk(short.spilledFile('9000.0.m4s'), 'its parts too');
  const left = (await readdir(spill.dir)).filter((name) => name.startsWith('9'));
  const listed = new Set(short.playlist.segments.map((segment) => segment.uri));
  t.notOk(left.includes('9000.m4s'), 'its file deleted');
  t.ok(left.every((name) => listed.has(name)), `only segments the playlist lists stay on disk (${left.join(' ')})`);

  stream.close();
  short.close();
  twin.close();
  await spill.settled();
  t.same(await readdir(spill.dir), [], 'close removes every spilled file');
});

t.test("an ABR rendition's segments go to its stream's folder under the rendition's names, and are served from there with their parts", async (t) => {
  const timers = new ManualTimers();
  const dir = t.testdir();
  const streams = new LowLatencyStreams({ ...options, windowSeconds: 60, cleanupAfterEndSeconds: 300, schedule: timers.schedule, firstMediaSequence: () => 500, spill: (name) => new SpillFolder(join(dir, name)) });
  const source = streams.start('s1');
  const rendition = streams.createUnlisted('s1', { firstMediaSequence: 700, rendition: '360p' });
  await feed(source);
  await feed(rendition);
  const segment = rendition.playlist.segments[0]!;
  t.equal(segment.uri, '360p-700.m4s');
  await waitUntil(() => rendition.spilledFile(segment.uri) !== undefined);
  t.equal(rendition.spilledFile(segment.uri)!.path, join(dir, 's1', '360p-700.m4s'), "in the source's folder, under the rendition's name");
  t.ok(rendition.spilledFile(segment.parts[0]!.uri), 'its parts are served from it');
  t.ok((await readdir(join(dir, 's1'))).some((name) => /^[0-9]+\.m4s$/.test(name)), "beside the source's own");
  rendition.close();
  streams.close();
  await waitUntil(async () => (await readdir(join(dir, 's1'))).length === 0);
  t.pass('closing both removes every file');
});

/** Polls `check` on the event loop until it holds (spill writes are real file I/O). */
async function waitUntil(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

t.test('a spill that fails (disk full) keeps the segments in memory and is reported once', async (t) => {
  const timers = new ManualTimers();
  const spill = new RecordingSpill(t.testdir());
  spill.failWith = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  const errors: unknown[] = [];
  const stream = new LowLatencyStream({ ...options, windowSeconds: 60, schedule: timers.schedule, spill, onSpillError: (error) => errors.push(error) });
  await feed(stream);
  await feed(stream);
  await feed(stream);
  await spill.settled();
  const finished = stream.playlist.segments;
  t.ok(finished.length >= 2 && spill.written.size === finished.length, 'writes were tried');
  t.ok(
    finished.every((segment) => stream.file(segment.uri) && !stream.spilledFile(segment.uri) && segment.parts.every((part) => stream.file(part.uri))),
    'every segment and part still served from memory',
  );
  t.equal(errors.length, 1, 'one report, not one per segment');
  t.same(await readdir(spill.dir), [], 'nothing left on disk');

  spill.failWith = undefined;
  await feed(stream);
  await spill.settled();
  t.ok(stream.playlist.segments.some((segment) => stream.spilledFile(segment.uri)), 'writes that succeed again spill');
  spill.failWith = new Error('EIO');
  await feed(stream);
  await spill.settled();
  t.equal(errors.length, 2, 'a failure after a success is reported again');
  stream.close();
});
