/**
 * Where the source's LL-HLS (CMAF) segments start and the media sequence number each got: a
 * rendition's LL output cuts its segments at the same keyframes and numbers them alike, so the
 * same number covers the same media in every variant of `ll.m3u8`. The CMAF segments are cut
 * apart from the MPEG-TS ones and numbered on their own, hence this beside SourceBoundaries.
 * No I/O.
 */
import { BOUNDARY_TOLERANCE_MS } from './source-boundaries.js';

/** Boundaries kept: far more than the renditions lag behind the source. */
const KEPT_BOUNDARIES = 64;

export class LowLatencyBoundaries {
  private readonly entries: { ptsMs: number; mediaSequenceNumber: number }[] = [];

  /** The source's segment `mediaSequenceNumber` starts with the keyframe at `ptsMs`. */
  started(ptsMs: number, mediaSequenceNumber: number): void {
    this.entries.push({ ptsMs, mediaSequenceNumber });
    if (this.entries.length > KEPT_BOUNDARIES) this.entries.shift();
  }

  /** The number of the source's segment that starts at `ptsMs`; undefined when none does. */
  find(ptsMs: number): number | undefined {
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index]!;
      if (Math.abs(entry.ptsMs - ptsMs) <= BOUNDARY_TOLERANCE_MS) return entry.mediaSequenceNumber;
    }
    return undefined;
  }

  /** The source changed: its old boundaries mean nothing now. */
  clear(): void {
    this.entries.length = 0;
  }
}
