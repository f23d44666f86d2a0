import type { RecordingPlaylist, RecordingSegment } from './recording-playlist.js';

/**
 * Which segment of a recording holds a moment of it, on the player's timeline: the EXTINF
 * durations added up from the start. A discontinuity restarts the timestamps inside the files, not
 * this timeline, so it changes nothing here; the offset is counted from the segment's own start,
 * which is how ffmpeg seeks in one file whatever its timestamps are. Pure, in tenths of a second.
 */

export interface SegmentMoment {
  segment: RecordingSegment;
  /** Tenths of a second from the segment's start. */
  offsetTenths: number;
}

/**
 * The last frame of a segment comes one frame interval before its end; a seek closer to the end
 * than this might find no frame (10 fps and up have one within it).
 */
const END_MARGIN_TENTHS = 1;

/**
 * The segment holding `timeTenths` and the offset into it; a time at or past the end is the last
 * segment's start (its first keyframe: the video's last moment that surely has a picture), so a
 * player asking for its duration gets a picture, not an error. Undefined without segments.
 */
export function segmentAtTime(playlist: RecordingPlaylist, timeTenths: number): SegmentMoment | undefined {
  let startMs = 0;
  for (const segment of playlist.segments) {
    const durationMs = Math.round(segment.durationSeconds * 1000);
    if (timeTenths * 100 < startMs + durationMs) {
      const latestTenths = Math.max(0, Math.floor(durationMs / 100) - END_MARGIN_TENTHS);
      return { segment, offsetTenths: Math.min(Math.max(0, Math.round((timeTenths * 100 - startMs) / 100)), latestTenths) };
    }
    startMs += durationMs;
  }
  const last = playlist.segments.at(-1);
  return last && { segment: last, offsetTenths: 0 };
}
