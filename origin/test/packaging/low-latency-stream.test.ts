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
  readonly pending: Promise<unknown>[] = [];
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
    const write = this.failWith ? Promise.reject(this.failWith) : this.folder.write(name, buffers);
    this.pending.push(write.catch(() => undefined));
    return write;
  }

  remove(name: string): Promise<void> {
    const removal = this.folder.remove(name);
    this.pending.push(removal.catch(() => undefined));
    return removal;
  }

  /** Every write and removal asked for so far has ended (and the stream has seen it). */
  async settled(): Promise<void> {
    let seen = -1;
    while (seen !== this.pending.length) {
      seen = this.pending.length;
      await Promise.all(this.pending);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The finished segments that start IN_MEMORY_TARGET_DURATIONS (4) target durations or more before the newest one ends. */
function olderThanListedParts(stream: LowLatencyStream): FinishedSegment[] {
  const { segments, targetDurationSeconds } = stream.playlist;
  let fromEdge = 0;
  const starts = [...segments].reverse().map((segment) => (fromEdge += Math.round(segment.durationSeconds * 1000)));
  return [...segments].reverse().filter((_, i) => starts[i]! >= 4 * targetDurationSeconds * 1000);
}

/** The DASH segments (per track) of `segment` the spill was asked to write. */
function dashNamesOf(spill: RecordingSpill, segment: FinishedSegment): string[] {
  return [...spill.written.keys()].filter((name) => {
    const parsed = parseDashMediaName(name);
    return parsed?.kind === 'segment' && parsed.mediaSequenceNumber === segment.mediaSequenceNumber;
  });
}

t.test('finished segments older than the parts listed are on disk, not in memory, byte for byte; their parts are gone; the grace period deletes the files', async (t) => {
  const timers = new ManualTimers();
  const spill = new RecordingSpill(t.testdir());
  const stream = new LowLatencyStream({ ...options, windowSeconds: 60, graceSeconds: 10, schedule: timers.schedule, spill, onSpillError: (error) => t.fail(String(error)) });
  await feed(stream);
  await feed(stream);
  await feed(stream);
  await spill.settled();
  const old = olderThanListedParts(stream);
  t.ok(old.length >= 2, `the oldest segments went to disk (${old.length})`);
  t.ok(stream.playlist.segments.length - old.length >= 2, 'the newest stayed in memory');
  const rendered = stream.playlist.render();
  for (const segment of stream.playlist.segments) {
    const spilled = old.includes(segment);
    const dash = dashNamesOf(spill, segment);
    if (!spilled) {
      t.ok(stream.file(segment.uri) && !stream.spilledFile(segment.uri), `${segment.uri} in memory`);
      t.ok(segment.parts.every((part) => stream.file(part.uri)), `${segment.uri}: its parts in memory`);
      continue;
    }
    t.notOk(stream.file(segment.uri), `${segment.uri} not in memory`);
    t.equal(stream.spilledFile(segment.uri), join(spill.dir, segment.uri), `${segment.uri} on disk`);
    t.same(await readFile(join(spill.dir, segment.uri)), spill.written.get(segment.uri), `${segment.uri}: the file is the segment, byte for byte`);
    t.ok(segment.parts.every((part) => !stream.file(part.uri) && !stream.spilledFile(part.uri)), `${segment.uri}: its parts gone`);
    t.ok(segment.parts.every((part) => !rendered.includes(part.uri)), `${segment.uri}: its parts were no longer listed`);
    t.ok(dash.length === 2 && dash.every((name) => !stream.file(name) && stream.spilledFile(name)), `${segment.uri}: its DASH segments on disk`);
    for (const name of dash) t.same(await readFile(join(spill.dir, name)), spill.written.get(name), `${name} byte for byte`);
  }
  t.ok(stream.file(stream.playlist.segments[0]!.initSectionUri), 'init sections stay in memory');

  // A short window: the spilled segments leave the playlist, and the grace period deletes their files.
  const short = new LowLatencyStream({ ...options, windowSeconds: 6, graceSeconds: 10, schedule: timers.schedule, spill, onSpillError: (error) => t.fail(String(error)), firstMediaSequence: 9000 });
  await feed(short);
  await feed(short);
  await feed(short);
  await spill.settled();
  t.ok(short.spilledFile('9000.m4s'), 'the first segment on disk during the grace period');
  timers.advance(10_000);
  await spill.settled();
  t.notOk(short.spilledFile('9000.m4s'), 'gone after the grace period');
  const left = (await readdir(spill.dir)).filter((name) => name.startsWith('9'));
  const listed = new Set(short.playlist.segments.map((segment) => segment.uri));
  t.notOk(left.includes('9000.m4s'), 'its file deleted');
  t.ok(left.every((name) => listed.has(name)), `only segments the playlist lists stay on disk (${left.join(' ')})`);

  stream.close();
  short.close();
  await spill.settled();
  t.same(await readdir(spill.dir), [], 'close removes every spilled file');
});

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
  const old = olderThanListedParts(stream);
  t.ok(old.length >= 2 && spill.written.size >= 2, 'writes were tried');
  t.ok(old.every((segment) => stream.file(segment.uri) && !stream.spilledFile(segment.uri)), 'every segment still served from memory');
  t.equal(errors.length, 1, 'one report, not one per segment');
  t.same(await readdir(spill.dir), [], 'nothing left on disk');

  spill.failWith = undefined;
  await feed(stream);
  await spill.settled();
  t.ok(olderThanListedParts(stream).some((segment) => stream.spilledFile(segment.uri)), 'writes that succeed again spill');
  spill.failWith = new Error('EIO');
  await feed(stream);
  await spill.settled();
  t.equal(errors.length, 2, 'a failure after a success is reported again');
  stream.close();
});
