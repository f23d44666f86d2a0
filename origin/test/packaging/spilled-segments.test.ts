/**
 * SpilledSegments over a real SpillFolder in a test directory: where each view of a segment is in
 * its file, a segment deleted while it is written, and failures reported once.
 */
import { readdir, readFile } from 'node:fs/promises';
import t from 'tap';
import { SpillFolder, type SegmentSpill } from '../../src/packaging/segment-spill.js';
import { SpilledSegments, type SpilledFile } from '../../src/packaging/spilled-segments.js';
import { PendingOperations } from './pending-operations.js';

/** A SpillFolder whose writes end when the test says. */
class HeldSpill implements SegmentSpill {
  private readonly folder: SpillFolder;
  private readonly held: (() => void)[] = [];
  /** Every write and removal started, to wait for. */
  private readonly pending = new PendingOperations();
  failWith: Error | undefined;

  constructor(readonly dir: string) {
    this.folder = new SpillFolder(dir);
  }

  path(name: string): string {
    return this.folder.path(name);
  }

  write(name: string, buffers: readonly Uint8Array[]): Promise<void> {
    return this.pending.track(
      new Promise<void>((resolve, reject) => {
        this.held.push(() => (this.failWith ? reject(this.failWith) : this.folder.write(name, buffers).then(resolve, reject)));
      }),
    );
  }

  remove(name: string): Promise<void> {
    return this.pending.track(this.folder.remove(name));
  }

  /** Lets every held write go on, and waits until every write and removal (those they start too) ended and was seen. */
  async release(): Promise<void> {
    for (const run of this.held.splice(0)) run();
    await this.pending.settled();
  }
}

async function read(file: SpilledFile): Promise<string> {
  const bytes = await readFile(file.path);
  return file.ranges.map(({ offset, length }) => bytes.subarray(offset, offset + length).toString()).join('');
}

const chunk = (text: string): Uint8Array => new TextEncoder().encode(text);

t.test('once written, the segment and each view are ranges of the one file; adjacent chunks are one range', async (t) => {
  const spill = new HeldSpill(t.testdir());
  const segments = new SpilledSegments(spill);
  const [v1, a1, v2, a2] = [chunk('VV'), chunk('a'), chunk('VVV'), chunk('aa')];
  const views = new Map([
    ['1.0.m4s', [v1, a1]],
    ['1.1.m4s', [v2, a2]],
    ['v-1-0.m4s', [v1, v2]],
    ['a-1-0.m4s', [a1, a2]],
  ]);
  let written = false;
  segments.write('1.m4s', [v1, a1, v2, a2], views, () => (written = true));
  t.equal(segments.find('1.m4s'), undefined, 'nothing is served from disk while the write goes on');
  await spill.release();
  t.ok(written, 'the caller hears the write ended');
  t.equal(await read(segments.find('1.m4s')!), 'VVaVVVaa', 'the segment: the whole file');
  t.same(segments.find('1.0.m4s')!.ranges, [{ offset: 0, length: 3 }], 'a part: one range');
  t.equal(await read(segments.find('1.1.m4s')!), 'VVVaa');
  t.same(segments.find('v-1-0.m4s')!.ranges, [{ offset: 0, length: 2 }, { offset: 3, length: 3 }], "a track's chunks: a range each");
  t.equal(await read(segments.find('v-1-0.m4s')!), 'VVVVV');
  t.equal(segments.find('a-1-0.m4s')!.length, 3);
  segments.delete('1.m4s');
  t.equal(segments.find('1.0.m4s'), undefined, 'deleting the segment takes its views');
  await spill.release();
  t.same(await readdir(spill.dir), [], 'and its file');
});

t.test('a segment deleted while it is written is removed once the write ends, and the caller keeps its buffers', async (t) => {
  const spill = new HeldSpill(t.testdir());
  const segments = new SpilledSegments(spill);
  let written = false;
  segments.write('2.m4s', [chunk('x')], new Map(), () => (written = true));
  segments.write('3.m4s', [chunk('y')], new Map(), () => undefined);
  segments.delete('2.m4s');
  segments.clear();
  await spill.release();
  t.notOk(written, 'not told: the segment went');
  t.equal(segments.find('2.m4s'), undefined);
  t.same(await readdir(spill.dir), [], 'both files removed after their writes');
});

t.test('failed writes are reported once until a write succeeds, and leave nothing served from disk', async (t) => {
  const spill = new HeldSpill(t.testdir());
  const errors: unknown[] = [];
  const segments = new SpilledSegments(spill, (error) => errors.push(error));
  spill.failWith = new Error('ENOSPC');
  let written = 0;
  for (const name of ['4.m4s', '5.m4s']) segments.write(name, [chunk('z')], new Map(), () => (written += 1));
  await spill.release();
  t.equal(errors.length, 1, 'one report for two failures');
  t.equal(written, 0);
  t.equal(segments.find('4.m4s'), undefined);
  spill.failWith = undefined;
  segments.write('6.m4s', [chunk('z')], new Map(), () => (written += 1));
  await spill.release();
  spill.failWith = new Error('EIO');
  segments.write('7.m4s', [chunk('z')], new Map(), () => (written += 1));
  await spill.release();
  t.equal(written, 1);
  t.equal(errors.length, 2, 'a failure after a success is reported again');
  segments.clear();
  await spill.release();
});
