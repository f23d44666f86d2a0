/** What the API is told about each target of a live stream. */
import type { PublicFailure } from './restream-errors.js';

export type RestreamState = 'idle' | 'connecting' | 'live' | 'retrying' | 'failed' | 'disabled';

export interface RestreamStatus {
  targetId: string;
  state: RestreamState;
  /** When the target entered this state, ISO 8601. */
  since: string;
  /** The target URL without its stream key. */
  target: string;
  /** Bytes the target's connections took, all connections together. */
  bytesSent: number;
  /** Over the last few seconds. */
  bitrateBps: number;
  /** Connection attempts since the target last worked; 0 once a connection has lasted. */
  attempts: number;
  /** Only the failure's public kind (see PublicFailure): the origin's log has the details. */
  lastError: { code: string; message: PublicFailure; at: string } | null;
  /** While `retrying`: when the next attempt starts, ISO 8601. */
  nextRetryAt: string | null;
  /** Media waiting for the target: queued here plus unsent in the socket. Bounded by the backlog settings. */
  backlogBytes: number;
  /** Frames dropped because the target could not keep up. */
  droppedFrames: number;
  /** Times the backlog overflowed and the push restarted at the next keyframe. */
  skippedKeyframes: number;
}

/** Samples of a byte counter, one a second; the rate is over the window they span. */
export const BITRATE_WINDOW_MS = 5000;

export class BitrateMeter {
  private samples: Array<{ atMs: number; bytes: number }> = [];

  sample(atMs: number, bytes: number): void {
    this.samples.push({ atMs, bytes });
    while (this.samples.length > 2 && atMs - this.samples[1]!.atMs >= BITRATE_WINDOW_MS) this.samples.shift();
  }

  bitrateBps(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return 0;
    return Math.round(((last.bytes - first.bytes) * 8 * 1000) / (last.atMs - first.atMs));
  }

  reset(): void {
    this.samples = [];
  }
}
