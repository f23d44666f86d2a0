import type { SegmentSpill } from './segment-spill.js';

/** Bytes of a written segment file: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Where a file served from disk is: byte ranges of one segment file, sent back to back. A whole
 * segment is one range over all of it, a part one range inside it, a DASH track segment that
 * track's chunks (several ranges: the segment interleaves the tracks' chunks).
 */
export interface SpilledFile {
  path: string;
  ranges: readonly ByteRange[];
  /** The ranges' total. */
  length: number;
}

/** What a segment is served as once written: the files that are views of its bytes, by name. */
export type SegmentViews = ReadonlyMap<string, readonly Uint8Array[]>;

interface SegmentFile {
  state: 'writing' | 'on-disk' | 'deleted';
  /** Its views' names, served from disk once it is written. */
  views: readonly string[];
}

/**
 * The bookkeeping of a LowLatencyStream's segments on disk (its SegmentSpill does the I/O): which
 * segment files are being written or written, and where in them each of a segment's files is
 * (its parts and DASH track segments are slices of its chunks, so the one file holds them all:
 * one write per segment, not one per name). A segment deleted while it is written is removed
 * once the write ends; a failed write is reported once until a write succeeds again.
 */
export class SpilledSegments {
  /** By segment file name. */
  private readonly segments = new Map<string, SegmentFile>();
  /** Every name served from disk, by name: the segments' own and their views'. */
  private readonly served = new Map<string, SpilledFile>();
  /** A failure was reported and no write succeeded since. */
  private failing = false;

  constructor(
    private readonly spill: SegmentSpill,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Where `name` (a segment, or a view of one) is on disk; undefined until its segment is written. */
  find(name: string): SpilledFile | undefined {
    return this.served.get(name);
  }

  /**
   * Writes segment `name` (its `chunks` back to back); once written, it and its `views` are served
   * from disk and `onWritten` runs (the caller drops its buffers). A failed write leaves them with
   * the caller. Every view's buffers must be among `chunks` (the same objects).
   */
  write(name: string, chunks: readonly Uint8Array[], views: SegmentViews, onWritten: () => void): void {
    const entry: SegmentFile = { state: 'writing', views: [...views.keys()] };
    this.segments.set(name, entry);
    this.spill.write(name, chunks).then(
      () => {
        this.failing = false;
        if (entry.state === 'deleted') {
          this.removeFile(name);
          return;
        }
        entry.state = 'on-disk';
        this.serve(name, chunks, views);
        onWritten();
      },
      (error: unknown) => {
        if (this.segments.get(name) === entry) this.segments.delete(name);
        if (this.failing) return;
        this.failing = true;
        this.onError(error);
      },
    );
  }

  /** Segment `name` goes: its file is removed now if written, or once its write ends. */
  delete(name: string): void {
    const entry = this.segments.get(name);
    if (!entry) return;
    this.segments.delete(name);
    for (const view of [name, ...entry.views]) this.served.delete(view);
    const { state } = entry;
    entry.state = 'deleted';
    if (state === 'on-disk') this.removeFile(name);
  }

  /** Every segment goes (the stream closed). */
  clear(): void {
    for (const name of [...this.segments.keys()]) this.delete(name);
  }

  private serve(name: string, chunks: readonly Uint8Array[], views: SegmentViews): void {
    const path = this.spill.path(name);
    const offsets = new Map<Uint8Array, number>();
    let length = 0;
    for (const chunk of chunks) {
      offsets.set(chunk, length);
      length += chunk.byteLength;
    }
    this.served.set(name, { path, ranges: [{ offset: 0, length }], length });
    for (const [view, buffers] of views) {
      const ranges = rangesOf(buffers, offsets);
      if (ranges) this.served.set(view, { path, ranges, length: ranges.reduce((sum, range) => sum + range.length, 0) });
    }
  }

  private removeFile(name: string): void {
    this.spill.remove(name).catch((error: unknown) => this.onError(error));
  }
}

/** `buffers`' places in the file, adjacent ones merged; undefined if one is not in it. */
function rangesOf(buffers: readonly Uint8Array[], offsets: ReadonlyMap<Uint8Array, number>): ByteRange[] | undefined {
  const ranges: ByteRange[] = [];
  for (const buffer of buffers) {
    const offset = offsets.get(buffer);
    if (offset === undefined) return undefined;
    const last = ranges.at(-1);
    if (last && last.offset + last.length === offset) last.length += buffer.byteLength;
    else ranges.push({ offset, length: buffer.byteLength });
  }
  return ranges;
}
