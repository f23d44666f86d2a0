import { readBoolean, readNumber, SettingError, type Env } from '../../../service-kit/src/env-settings.js';

/**
 * Default part length (EXT-X-PART-INF:PART-TARGET): a third of a second, rounded up to the
 * millisecond. The spec wants every part no longer than PART-TARGET and, except for a segment's
 * last part and parts that start with a keyframe, no shorter than 85% of it (RFC 8216bis 4.4.4.9).
 * A muxer that ends a part before the frame that would overrun the target lands within one frame
 * of it, so the 15% margin has to hold a whole frame: 50 ms here, enough for anything from 20 fps
 * up. At 0.2 s the margin is 30 ms, less than one frame at 30, 29.97 or 25 fps once RTMP's
 * millisecond timestamps jitter by one. Rounding up to 0.334 lets ten frames at 30 fps (333 or
 * 334 ms) fill one part, so a 2 s segment is six parts. PART-HOLD-BACK is three parts, 1.002 s,
 * which is what the latency target (1.5 s through the edge) leaves room for.
 */
export const DEFAULT_PART_TARGET_SECONDS = 0.334;

/** Shorter parts cost a request and a `moof` each for little gain. */
const MIN_PART_TARGET_SECONDS = 0.1;
/** Longer parts hold playback at least three seconds behind live: no point in low latency. */
const MAX_PART_TARGET_SECONDS = 1;

/** Low-Latency HLS settings, read once at start-up. Segment length and window are HLS's settings. */
export interface LowLatencySettings {
  /**
   * HLS_LOW_LATENCY: package every stream as CMAF too, with an LL-HLS playlist at
   * `/<stream>/ll.m3u8`. Default off for now: it holds the whole TS window in memory (about
   * 40 MB per stream at 2.6 Mb/s, where LL players need a few segments) and no player test covers
   * it yet (issue 10). Off does no CMAF work at all.
   */
  enabled: boolean;
  /** HLS_PART_SECONDS: the part target in seconds. Default 0.334, between 0.1 and 1. */
  partTargetSeconds: number;
}

export function readLowLatencySettings(env: Env): LowLatencySettings {
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
  return { enabled: readBoolean(env, 'HLS_LOW_LATENCY', false), partTargetSeconds };
}
