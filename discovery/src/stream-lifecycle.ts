import type { PlaylistState } from './playlist-state.js';

export interface LifecycleTiming {
  /** A live stream is re-reported this often, so the API's TTL never expires it. */
  heartbeatMs: number;
  /** A live playlist unchanged for this many target durations counts as dead. */
  staleTargetDurations: number;
}

export type WithdrawReason = 'ended' | 'stale' | 'removed';

export type Decision =
  | { action: 'none' }
  | { action: 'register' }
  | { action: 'refresh' }
  | { action: 'withdraw'; reason: WithdrawReason };

/**
 * - `idle`: the folder exists but its manifest never was live (missing, empty, half-written);
 * - `live`: reported to the API and kept there by heartbeats;
 * - `ended`: the playlist got ENDLIST;
 * - `stale`: the playlist stopped changing (origin or publisher died without ENDLIST).
 * Any of them goes back to `live` when a fresh live playlist is written (publisher reconnects).
 */
export type Phase = 'idle' | 'live' | 'ended' | 'stale';

const NONE: Decision = { action: 'none' };

/**
 * The per-stream state machine: from manifest writes and the clock, decides when to register,
 * refresh or withdraw. No I/O and no timers: the caller passes times in and schedules a call to
 * `due` at `nextDeadline()`.
 *
 * Liveness is measured from the manifest's mtime, not from when an event arrived: a playlist left
 * behind by a crashed origin is seen at start-up with an old mtime and is never reported, and a
 * spurious event for an unchanged file does not revive a stale stream.
 */
export class StreamLifecycle {
  #phase: Phase = 'idle';
  #targetDurationMs = 0;
  #lastChangeAt = Number.NEGATIVE_INFINITY;
  #lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly timing: LifecycleTiming) {}

  get phase(): Phase {
    return this.#phase;
  }

  /** `modifiedAt` is the manifest's mtime, `now` the current time, both in ms since the epoch. */
  manifestWritten(state: PlaylistState, modifiedAt: number, now: number): Decision {
    if (state.kind === 'not-ready') return NONE;
    const wasLive = this.#phase === 'live';
    if (state.kind === 'ended') {
      this.#phase = 'ended';
      return wasLive ? { action: 'withdraw', reason: 'ended' } : NONE;
    }
    this.#targetDurationMs = state.targetDurationSeconds * 1000;
    this.#lastChangeAt = Math.max(this.#lastChangeAt, modifiedAt);
    if (now >= this.#staleAt()) {
      this.#phase = 'stale';
      return wasLive ? { action: 'withdraw', reason: 'stale' } : NONE;
    }
    if (wasLive) return NONE;
    this.#phase = 'live';
    this.#lastReportAt = now;
    return { action: 'register' };
  }

  /** The manifest or the whole stream folder is gone. */
  removed(): Decision {
    const wasLive = this.#phase === 'live';
    this.#phase = 'idle';
    return wasLive ? { action: 'withdraw', reason: 'removed' } : NONE;
  }

  /** Called at (or after) `nextDeadline()`: withdraws a stale stream or refreshes a live one. */
  due(now: number): Decision {
    if (this.#phase !== 'live') return NONE;
    if (now >= this.#staleAt()) {
      this.#phase = 'stale';
      return { action: 'withdraw', reason: 'stale' };
    }
    if (now >= this.#lastReportAt + this.timing.heartbeatMs) {
      this.#lastReportAt = now;
      return { action: 'refresh' };
    }
    return NONE;
  }

  /** When `due` has something to do next, or undefined while the stream is not live. */
  nextDeadline(): number | undefined {
    if (this.#phase !== 'live') return undefined;
    return Math.min(this.#staleAt(), this.#lastReportAt + this.timing.heartbeatMs);
  }

  #staleAt(): number {
    return this.#lastChangeAt + this.timing.staleTargetDurations * this.#targetDurationMs;
  }
}
