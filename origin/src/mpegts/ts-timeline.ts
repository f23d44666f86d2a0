/**
 * MPEG-TS timestamps (33-bit, 90 kHz, wrapping every 26.5 hours, starting anywhere) on one
 * millisecond timeline that starts at TIMELINE_START_MS and only moves forward, as an RTMP
 * publisher's would. The wrap is read as the small step it is; a reset or leap (an encoder
 * restart, a relay switching sources) re-anchors the timeline so it carries on from where it was
 * instead of jumping, which an RTMP-style consumer could not tell from a 26-hour gap.
 */
import { MAX_BACKWARD_STEP_MS, MAX_FORWARD_STEP_MS } from '../media/rtmp-timeline.js';

/** PTS and DTS are 33-bit counters. */
export const TIMESTAMP_ROLLOVER = 2 ** 33;
const TICKS_PER_MS = 90;
/**
 * Where the first DTS lands. Not 0: the other track's first timestamp may be a little earlier
 * (encoders interleave audio and video up to a second or so apart), and the timeline never goes
 * below zero.
 */
export const TIMELINE_START_MS = MAX_FORWARD_STEP_MS;

export type TimelineTrack = 'video' | 'audio';

export interface PlacedTimestamps {
  dtsMs: number;
  ptsMs: number;
}

export class TsTimeline {
  private lastRaw = Number.NaN;
  private lastExtended = 0;
  /** Added to an extended timestamp to place it; set by the first one, moved by jumps. */
  private offset = Number.NaN;
  private readonly last: Record<TimelineTrack, number> = { video: Number.NaN, audio: Number.NaN };
  private readonly lastStep: Record<TimelineTrack, number> = { video: TICKS_PER_MS, audio: TICKS_PER_MS };
  private latest = Number.NaN;

  /** Places a frame's 90 kHz DTS and PTS (each 0 to 2^33 - 1, fractions allowed) on the timeline. */
  place(track: TimelineTrack, dts: number, pts: number): PlacedTimestamps {
    const extended = this.extend(dts);
    if (Number.isNaN(this.offset)) {
      this.offset = TIMELINE_START_MS * TICKS_PER_MS - extended;
      this.latest = extended + this.offset;
    }
    let placed = extended + this.offset;
    const previous = this.last[track];
    // A track's first frame is measured against the other track, which may be a second or so apart.
    const reference = Number.isNaN(previous) ? this.latest : previous;
    const backwardLimit = (Number.isNaN(previous) ? MAX_FORWARD_STEP_MS : MAX_BACKWARD_STEP_MS) * TICKS_PER_MS;
    const step = placed - reference;
    if (placed < 0 || step < -backwardLimit || step > MAX_FORWARD_STEP_MS * TICKS_PER_MS) {
      // Carry on one frame after the latest timestamp; the other track follows through the same offset.
      const anchored = this.latest + this.lastStep[track];
      this.offset += anchored - placed;
      placed = anchored;
    } else if (!Number.isNaN(previous) && step > 0 && step < 1000 * TICKS_PER_MS) {
      this.lastStep[track] = step;
    }
    this.last[track] = placed;
    this.latest = Math.max(this.latest, placed);
    const dtsMs = Math.round(placed / TICKS_PER_MS);
    return { dtsMs, ptsMs: Math.round((placed + signedDifference(pts, dts)) / TICKS_PER_MS) };
  }

  /** The timestamp past any wraps, read against the previous one of either track. */
  private extend(raw: number): number {
    this.lastExtended = Number.isNaN(this.lastRaw) ? raw : this.lastExtended + signedDifference(raw, this.lastRaw);
    this.lastRaw = raw;
    return this.lastExtended;
  }
}

/** a - b for 33-bit timestamps, in [-2^32, 2^32): a wrap reads as a small step forward. */
export function signedDifference(a: number, b: number): number {
  const half = TIMESTAMP_ROLLOVER / 2;
  return ((((a - b + half) % TIMESTAMP_ROLLOVER) + TIMESTAMP_ROLLOVER) % TIMESTAMP_ROLLOVER) - half;
}
