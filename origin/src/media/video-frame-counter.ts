/**
 * Counts a stream's video frames and the media time between them, for the frame rate the origin
 * reports: a reader keeps two readings and divides (`framesPerSecond`). Media time, not arrival
 * time, so a burst after a network stall does not read as a high rate, nor a loaded machine as a
 * low one. A timestamp jump starts a new run: the gap across it counts as neither frames nor time.
 */
import type { FrameStageConsumer, StageEvent } from './frame-stage.js';

/** Monotonic counters of one source. */
export interface VideoFrameCount {
  /** Gaps between consecutive video frames of the same run. */
  intervals: number;
  /** Their summed length in media milliseconds. */
  spanMs: number;
}

/** Above any real camera or encoder: a rate beyond it comes from timestamps, not from frames. */
export const MAX_REPORTED_FPS = 1000;

export class VideoFrameCounter implements FrameStageConsumer {
  private intervals = 0;
  private spanMs = 0;
  private lastDtsMs: number | undefined;

  get count(): VideoFrameCount {
    return { intervals: this.intervals, spanMs: this.spanMs };
  }

  take(events: readonly StageEvent[]): void {
    for (const event of events) {
      if (event.kind !== 'frame' || event.frame.kind !== 'avc-frame') continue;
      const { dtsMs } = event.frame;
      if (this.lastDtsMs !== undefined && !event.timestampJump && dtsMs >= this.lastDtsMs) {
        this.intervals += 1;
        this.spanMs += dtsMs - this.lastDtsMs;
      }
      this.lastDtsMs = dtsMs;
    }
  }

  flush(): void {
    // Nothing in progress: every frame is counted as it comes.
  }
}

/**
 * Frames per second between two readings of the same counter, or null when they cannot tell: no
 * earlier reading, no media time between them, or a rate no real source has.
 */
export function framesPerSecond(before: VideoFrameCount | undefined, after: VideoFrameCount): number | null {
  if (!before) return null;
  const intervals = after.intervals - before.intervals;
  const spanMs = after.spanMs - before.spanMs;
  if (intervals <= 0 || spanMs <= 0) return null;
  const fps = (intervals * 1000) / spanMs;
  return fps <= MAX_REPORTED_FPS ? Math.round(fps * 100) / 100 : null;
}
