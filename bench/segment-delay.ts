/**
 * Segment delay as an outsider sees it: for each segment, (when a playlist naming it appeared) −
 * (when the publisher's data that closes it was handed to the server). Pure: no I/O.
 *
 * A server can only close a segment once it has the keyframe that starts the next one, so that
 * keyframe is the reference. It is found from the playlist alone: the segment ends at the first
 * keyframe's timestamp plus the cumulative EXTINF up to and including it, snapped to the nearest
 * keyframe the relay saw (EXTINF is rounded to 1 ms; keyframes are 2 s apart, so the snap is
 * unambiguous).
 */
import type { SeenSegment } from './playlist-watch.js';
import type { KeyframeSendTime } from './rtmp-timing-relay.js';

/** A segment end further than this from any keyframe is not matched (and counted as such). */
const SNAP_TOLERANCE_MS = 500;

export interface SegmentDelaySample {
  mediaSequence: number;
  /** When the closing keyframe was sent (ms since the epoch). */
  sentAt: number;
  /** seenAt − sentAt: includes inotify delivery to the benchmark process. */
  seenMs: number;
  /** renamedAt (playlist ctime) − sentAt: kernel time, but the ctime clock is coarse (lags ≤ ~1 tick). */
  renamedMs: number;
}

export interface StreamDelays {
  samples: SegmentDelaySample[];
  /** Segments in the window that could not be tied to a keyframe (or had a gap before them). */
  unmatched: number;
}

export function segmentDelays(
  segments: ReadonlyMap<number, SeenSegment>,
  keyframes: readonly KeyframeSendTime[],
  window: { from: number; to: number },
): StreamDelays {
  const result: StreamDelays = { samples: [], unmatched: 0 };
  const first = keyframes[0];
  if (!first) return result;
  const inWindow = (segment: SeenSegment) => !segment.late && segment.seenAt >= window.from && segment.seenAt <= window.to;
  const ordered = [...segments.values()].sort((a, b) => a.mediaSequence - b.mediaSequence);
  // The stream's first segment: folders are watched before publishing starts and playlists keep a
  // 60 s window, so nothing has left the playlist by the time it is first read.
  const firstSequence = ordered[0]?.mediaSequence ?? 0;
  let cumulativeMs = 0;
  for (const [index, segment] of ordered.entries()) {
    // The media time of a segment needs every EXTINF before it, from the stream's first segment.
    if (segment.mediaSequence !== firstSequence + index) {
      result.unmatched += ordered.slice(index).filter(inWindow).length;
      break;
    }
    cumulativeMs += segment.durationSeconds * 1000;
    if (!inWindow(segment)) continue;
    const endMs = first.timestampMs + cumulativeMs;
    const closing = nearest(keyframes, endMs);
    if (!closing || Math.abs(closing.timestampMs - endMs) > SNAP_TOLERANCE_MS) {
      result.unmatched += 1;
      continue;
    }
    result.samples.push({
      mediaSequence: segment.mediaSequence,
      sentAt: closing.sentAt,
      seenMs: segment.seenAt - closing.sentAt,
      renamedMs: segment.renamedAt - closing.sentAt,
    });
  }
  return result;
}

function nearest(keyframes: readonly KeyframeSendTime[], timestampMs: number): KeyframeSendTime | undefined {
  let low = 0;
  let high = keyframes.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (keyframes[middle]!.timestampMs < timestampMs) low = middle + 1;
    else high = middle;
  }
  const after = keyframes[low];
  const before = keyframes[low - 1];
  if (!after) return before;
  if (!before) return after;
  return timestampMs - before.timestampMs <= after.timestampMs - timestampMs ? before : after;
}

/**
 * How far the publisher's keyframe send times stray from the ideal `-re` line (first send +
 * media time), over the keyframes sent in the window: what the simpler estimate would get wrong.
 */
export function pacingSpreadMs(keyframes: readonly KeyframeSendTime[], window: { from: number; to: number }): number | undefined {
  const offsets = keyframes
    .filter((keyframe) => keyframe.sentAt >= window.from && keyframe.sentAt <= window.to)
    .map((keyframe) => keyframe.sentAt - keyframe.timestampMs);
  if (offsets.length < 2) return undefined;
  return Math.max(...offsets) - Math.min(...offsets);
}
