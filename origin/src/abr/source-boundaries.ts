/**
 * Where the source's segments start, and the media sequence number each got once written: a
 * rendition cuts at the same keyframes and numbers its segments after the source's, so the same
 * number covers the same media in every variant. No I/O.
 */

/** Renditions' keyframes carry the source's timestamps (ms); this absorbs rounding, no drift. */
export const BOUNDARY_TOLERANCE_MS = 2;

/** Boundaries kept: far more than the renditions lag behind the source. */
const KEPT_BOUNDARIES = 64;

/** How the source's segment was listed: renditions list theirs alike, so players align them. */
export interface ListedSegment {
  mediaSequence: number;
  programDateTime: Date;
}

export interface Boundary {
  /** The presentation time of the keyframe the source's segment starts with. */
  ptsMs: number;
  /** How it was listed once written; undefined when the source's write failed. */
  listed: Promise<ListedSegment | undefined>;
}

interface Entry extends Boundary {
  settle: (listed: ListedSegment | undefined) => void;
  settled: boolean;
}

export class SourceBoundaries {
  private readonly entries: Entry[] = [];

  /** The source opened a segment with the keyframe at `ptsMs`. */
  started(ptsMs: number): void {
    let settle!: Entry['settle'];
    const listed = new Promise<ListedSegment | undefined>((resolve) => (settle = resolve));
    const entry: Entry = { ptsMs, listed, settled: false, settle: (value) => ((entry.settled = true), settle(value)) };
    this.entries.push(entry);
    while (this.entries.length > KEPT_BOUNDARIES) this.entries.shift()?.settle(undefined);
  }

  /** The source's segment starting at `ptsMs` was listed so (undefined: not written). */
  written(ptsMs: number, listed: ListedSegment | undefined): void {
    const entry = this.find(ptsMs) as Entry | undefined;
    if (entry && !entry.settled) entry.settle(listed);
  }

  find(ptsMs: number): Boundary | undefined {
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index]!;
      if (Math.abs(entry.ptsMs - ptsMs) <= BOUNDARY_TOLERANCE_MS) return entry;
    }
    return undefined;
  }

  /** The source changed (a new publisher, the fallback): its old boundaries mean nothing now. */
  clear(): void {
    for (const entry of this.entries) if (!entry.settled) entry.settle(undefined);
    this.entries.length = 0;
  }
}
