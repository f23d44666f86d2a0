import HLS from 'hls-parser';
import { LowLatencyPlaylist, type LowLatencyPlaylistOptions, type NewPart } from '../../src/llhls/low-latency-playlist.js';

/** Helpers for the LL-HLS tests: a playlist fed the way the packager feeds it. */

export const START = Date.parse('2024-05-01T12:00:00.000Z');

/** A 2 s segment at 30 fps in parts of at most 0.334 s: ten frames of RTMP's 33/34 ms each. */
export const SEGMENT_PARTS_MS = [334, 333, 333, 334, 333, 333];

/** Adds parts and segments back to back, dating each from a running media clock. */
export class PlaylistFeed {
  readonly playlist: LowLatencyPlaylist;

  constructor(
    options: Partial<LowLatencyPlaylistOptions> = {},
    public clockMs = START,
  ) {
    this.playlist = new LowLatencyPlaylist({
      targetDurationSeconds: 2,
      partTargetSeconds: 0.334,
      firstMediaSequence: 100,
      ...options,
    });
  }

  /** A stream `segments` whole segments in (from 100), with `parts` parts of the next one. */
  static running(segments: number, parts: number): PlaylistFeed {
    const feed = new PlaylistFeed();
    feed.segments(segments);
    feed.parts(parts);
    return feed;
  }

  part(durationMs: number, part: Partial<NewPart> = {}): void {
    const programDateTime = new Date(this.clockMs);
    this.playlist.addPart({ durationSeconds: durationMs / 1000, independent: false, programDateTime, ...part });
    this.clockMs += durationMs;
  }

  /** The parts of one segment, the first a keyframe; `first` applies to the first part. */
  parts(count: number, first: Partial<NewPart> = {}): void {
    SEGMENT_PARTS_MS.slice(0, count).forEach((ms, i) => this.part(ms, i === 0 ? { independent: true, ...first } : {}));
  }

  /** A whole 2 s segment; returns the sequence numbers of the segments that left the window. */
  segment(first: Partial<NewPart> = {}): number[] {
    this.parts(SEGMENT_PARTS_MS.length, first);
    return this.playlist.endSegment().removed.map((segment) => segment.mediaSequenceNumber);
  }

  segments(count: number): void {
    for (let i = 0; i < count; i += 1) this.segment();
  }
}

/** Parses a playlist with hls-parser in strict mode (it checks the LL-HLS rules it knows). */
export function parseStrictly(text: string): HLS.types.MediaPlaylist {
  const previous = HLS.getOptions();
  HLS.setOptions({ strictMode: true });
  try {
    const parsed = HLS.parse(text);
    if (!(parsed instanceof HLS.types.MediaPlaylist)) throw new Error('not a media playlist');
    return parsed;
  } finally {
    HLS.setOptions(previous);
  }
}
