/**
 * RTMP timestamps on one continuous millisecond timeline, and the jumps that break it. RTMP
 * timestamps are 32-bit and wrap after 49.7 days; publishers also reset them (encoder restart,
 * a relay switching sources), which a playlist must mark as a discontinuity.
 */

/** A DTS step back within one track beyond this is a timestamp reset, not jitter. */
export const MAX_BACKWARD_STEP_MS = 500;
/** A DTS step forward within one track beyond this is a timestamp jump, not a pause. */
export const MAX_FORWARD_STEP_MS = 10_000;

export class RtmpTimeline {
  private lastRaw = Number.NaN;
  private current = 0;
  private lastVideoDts = Number.NaN;
  private lastAudioDts = Number.NaN;

  /** Maps a 32-bit RTMP timestamp onto the timeline, which does not wrap. */
  extend(raw: number): number {
    if (Number.isNaN(this.lastRaw)) {
      this.current = raw;
    } else {
      // Signed 32-bit difference: wrapping forward reads as a small step, not a 49-day jump.
      this.current += ((((raw - this.lastRaw + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32) - 2 ** 31;
    }
    this.lastRaw = raw;
    return this.current;
  }

  /**
   * Records a frame's DTS (already extended) and says whether it jumped from the previous
   * frame of its track. Steps are per track: audio and video interleave out of order a little.
   */
  jumped(track: 'audio' | 'video', dtsMs: number): boolean {
    const step = dtsMs - (track === 'video' ? this.lastVideoDts : this.lastAudioDts);
    const jump = step < -MAX_BACKWARD_STEP_MS || step > MAX_FORWARD_STEP_MS;
    if (jump) {
      // The other track jumps too, in a moment: that must not count as a second jump.
      this.lastVideoDts = Number.NaN;
      this.lastAudioDts = Number.NaN;
    }
    if (track === 'video') this.lastVideoDts = dtsMs;
    else this.lastAudioDts = dtsMs;
    return jump;
  }
}
