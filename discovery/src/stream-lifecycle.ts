import type { PlaylistState } from './playlist-state.js';

export interface LifecycleTiming {
  /** A live stream is re-reported this often, so the API's TTL never expires it. */
  heartbeatMs: number;
  /** A live playlist unchanged for this many target durations counts as dead. */
  staleTargetDurations: number;
  /**
   * How long an ended stream stays playable (the API keeps offering it as ended); undefined: the
   * length of its last playlist, so a viewer as far behind live as the playlist allows sees the end.
   */
  endedGraceSeconds: number | undefined;
}

export type EndReason = 'ended' | 'stale';

export type Decision =
  | { action: 'none' }
  | { action: 'register' }
  | { action: 'refresh' }
  | { action: 'end'; reason: EndReason; graceSeconds: number }
  | { action: 'withdraw' };

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
 * refresh, end (kept playable for a grace period) or withdraw. No I/O and no timers: the caller passes times in and schedules a call to
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
  #playlistSeconds = 0;
  /** Reported to the API (live, or ended within its grace) and not withdrawn since. */
  #listed = false;

  constructor(private readonly timing: LifecycleTiming) {}

  get phase(): Phase {
    return this.#phase;
  }

  /** `modifiedAt` is the manifest's mtime, `now` the current time, both in ms since the epoch. */
  manifestWritten(state: PlaylistState, modifiedAt: number, now: number): Decision {
    if (state.kind === 'not-ready') return NONE;
    const wasLive = this.#phase === 'live';
    this.#playlistSeconds = state.durationSeconds;
    if (state.kind === 'ended') {
      this.#phase = 'ended';
      return wasLive ? this.#end('ended') : NONE;
    }
    this.#targetDurationMs = state.targetDurationSeconds * 1000;
    this.#lastChangeAt = Math.max(this.#lastChangeAt, modifiedAt);
    if (now >= this.#staleAt()) {
      this.#phase = 'stale';
      return wasLive ? this.#end('stale') : NONE;
    }
    if (wasLive) return NONE;
    this.#phase = 'live';
    this.#listed = true;
    this.#lastReportAt = now;
    return { action: 'register' };
  }

  /** The manifest or the whole stream folder is gone. */
  removed(): Decision {
    const wasListed = this.#listed;
    this.#phase = 'idle';
    this.#listed = false;
    // Nothing is left to serve, live or ended: withdrawn at once, with no grace period.
    return wasListed ? { action: 'withdraw' } : NONE;
  }

  /** Called at (or after) `nextDeadline()`: ends a stale stream or refreshes a live one. */
  due(now: number): Decision {
    if (this.#phase !== 'live') return NONE;
    if (now >= this.#staleAt()) {
      this.#phase = 'stale';
      return this.#end('stale');
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

  #end(reason: EndReason): Decision {
    const graceSeconds = this.timing.endedGraceSeconds ?? Math.max(1, Math.ceil(this.#playlistSeconds));
    return { action: 'end', reason, graceSeconds };
  }

  #staleAt(): number {
    return this.#lastChangeAt + this.timing.staleTargetDurations * this.#targetDurationMs;
  }
}
