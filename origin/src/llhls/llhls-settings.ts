import { readBoolean, readNumber, SettingError, type Env } from '../../../service-kit/src/env-settings.js';
import type { SegmentSettings } from '../packaging/segment-settings.js';

/**
 * Default part length (EXT-X-PART-INF:PART-TARGET): a third of a second plus the headroom the
 * fragmenter needs to fit ten frames at 30 fps. The spec wants every part no longer than
 * PART-TARGET and, except for a segment's last part and parts that start with a keyframe, no
 * shorter than 85% of it (RFC 8216bis 4.4.4.9). A muxer that ends a part before the frame that
 * would overrun the target lands within one frame of it, so the 15% margin has to hold a whole
 * frame: 51 ms here, enough for anything from 20 fps up. At 0.2 s the margin is 30 ms, less than
 * one frame at 30, 29.97 or 25 fps once RTMP's millisecond timestamps jitter by one.
 *
 * Why 0.34 and not 0.334: the fragmenter (maxPartSeconds) takes the next frame to last as long as
 * the previous one plus a millisecond of jitter, so after nine frames at 30 fps (300 or 301 ms) a
 * tenth fits only under a ceiling of 336 ms. At 0.334 parts came out as nine frames, and a 2 s
 * segment as 0.333, 0.334, four parts of 0.300 and a last part of 0.133 s; hls.js counts a segment
 * as fully buffered once its buffered range reaches within 0.2 s of the segment's end
 * (fragment-tracker's bufferPadding), so it sometimes never loaded that short last part: a 0.13 s
 * hole and a stall, seen by e2e/realtime/llhls-player. At 0.34 a 2 s segment at 30, 29.97, 60 or 24 fps is
 * six parts of a third of a second. Frame rates the target does not divide (25, 50 fps, audio-only)
 * no longer end a segment with a sliver either: after the first segment the fragmenter shares a
 * segment's frames evenly among the fewest parts that fit (cmaf/even-parts.ts), 7 or 8 frames at
 * 25 fps, so parts there are 0.28 to 0.32 s (82 to 94 % of the target; the 85 % is a SHOULD, a
 * 0.08 s part a stall).
 * PART-HOLD-BACK is three parts, 1.02 s, which the latency target (1.5 s) leaves room for.
 */
export const DEFAULT_PART_TARGET_SECONDS = 0.34;

/** Shorter parts cost a request and a `moof` each for little gain. */
const MIN_PART_TARGET_SECONDS = 0.1;
/** Longer parts hold playback at least three seconds behind live: no point in low latency. */
const MAX_PART_TARGET_SECONDS = 1;

/**
 * Default window of the LL-HLS playlist, in target durations: twice the Skip Boundary
 * (CAN-SKIP-UNTIL, six target durations), so a delta update (`_HLS_skip=YES`) leaves out about
 * half of it. A low-latency viewer plays a second behind live and needs the last few segments;
 * the MPEG-TS playlist's 60 s window (a time-shift buffer for viewers who pause) would cost
 * every stream another minute of media in memory. Players that want to rewind use index.m3u8.
 */
const DEFAULT_WINDOW_TARGET_DURATIONS = 12;
/** RFC 8216bis 6.2.2: a live playlist is at least three target durations long. */
const MIN_WINDOW_TARGET_DURATIONS = 3;

/** Low-Latency HLS settings, read once at start-up. Segment length is HLS's setting. */
export interface LowLatencySettings {
  /**
   * HLS_LOW_LATENCY: package every stream as CMAF too, with an LL-HLS playlist at
   * `/<stream>/ll.m3u8` and a DASH manifest at `/<stream>/index.mpd`. Default on: viewers expect
   * low latency and DASH from a streaming platform, and hls.js plays it through the edge
   * (e2e/realtime/llhls-player.test.ts). It costs each stream its segment in progress in memory (about
   * 0.7 MB at 2.6 Mb/s; finished segments are on disk, see LowLatencyStream) and half a percent of a core (bench:origin, 10 streams:
   * 1.01 % against 0.54 % per stream); off does no CMAF work at all, for origins packed with
   * streams that only need MPEG-TS HLS.
   */
  enabled: boolean;
  /** HLS_PART_SECONDS: the part target in seconds. Default 0.34, between 0.1 and 1, at most HLS_SEGMENT_SECONDS. */
  partTargetSeconds: number;
  /**
   * HLS_LOW_LATENCY_WINDOW_SECONDS: media ll.m3u8 lists. Default twelve target durations (24 s
   * with 2 s segments), at least three.
   */
  windowSeconds: number;
  /**
   * How long a segment stays downloadable after leaving ll.m3u8: the window plus a target
   * duration, the least RFC 8216bis 6.2.2 allows (the segment's duration plus the longest
   * playlist that listed it). Not a setting: a stream keeps window + grace of media, on disk
   * but for its segment in progress.
   */
  graceSeconds: number;
}

export function readLowLatencySettings(env: Env, segments: Pick<SegmentSettings, 'targetDurationSeconds'>): LowLatencySettings {
  const partTargetSeconds = readNumber(env, 'HLS_PART_SECONDS', DEFAULT_PART_TARGET_SECONDS, {
    min: MIN_PART_TARGET_SECONDS,
  });
  if (partTargetSeconds > MAX_PART_TARGET_SECONDS) {
    throw new SettingError(
      'HLS_PART_SECONDS',
      String(env.HLS_PART_SECONDS),
      `a number between ${MIN_PART_TARGET_SECONDS} and ${MAX_PART_TARGET_SECONDS}`,
    );
  }
  if (partTargetSeconds > segments.targetDurationSeconds) {
    throw new SettingError(
      'HLS_PART_SECONDS',
      String(env.HLS_PART_SECONDS),
      `a number no greater than HLS_SEGMENT_SECONDS (${segments.targetDurationSeconds})`,
    );
  }
  // The playlist announces whole seconds (EXT-X-TARGETDURATION), and counts its window in them.
  const targetDuration = Math.ceil(segments.targetDurationSeconds);
  const windowSeconds = readNumber(env, 'HLS_LOW_LATENCY_WINDOW_SECONDS', DEFAULT_WINDOW_TARGET_DURATIONS * targetDuration, {
    min: MIN_WINDOW_TARGET_DURATIONS * targetDuration,
  });
  return {
    enabled: readBoolean(env, 'HLS_LOW_LATENCY', true),
    partTargetSeconds,
    windowSeconds,
    graceSeconds: windowSeconds + targetDuration,
  };
}
