import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { BLOCKING_TIMEOUT_STATUS, holds, type ReloadPosition, type ReloadTarget } from './blocking-reload.js';

/**
 * The blocked playlist requests of one stream: each waits until the playlist holds its target,
 * or until its deadline. The packager calls release() after every change of the playlist (a
 * part, a segment's end, the end of the stream); the HTTP layer then renders the playlist for
 * each request that became ready. One timer per waiter, for its deadline, run through the
 * injected scheduler.
 */

export type WaitOutcome =
  /** Send the playlist now (rendered with the request's `_HLS_skip`), status 200. */
  | { kind: 'ready' }
  /** Blocked for the whole timeout (three target durations): send 503 (RFC 8216bis 6.2.5.2). */
  | { kind: 'timed-out'; status: typeof BLOCKING_TIMEOUT_STATUS }
  /** The stream's playlist went away (cleaned up, origin stopping): answer as for a missing playlist. */
  | { kind: 'closed' };

export interface PendingReload {
  readonly outcome: Promise<WaitOutcome>;
  /** The client went away: forget the request (its promise then never settles). */
  cancel(): void;
}

interface Waiter {
  readonly target: ReloadTarget;
  readonly settle: (outcome: WaitOutcome) => void;
  readonly cancelTimer: CancelTimer;
}

export class ReloadWaiters {
  private readonly waiters = new Set<Waiter>();

  /** `schedule` runs the deadlines. Default: Node's timers, unref'd (open requests keep the process up anyway). */
  constructor(private readonly schedule: ScheduleTimer = scheduleUnrefTimer) {}

  get size(): number {
    return this.waiters.size;
  }

  /** Holds a request that decideReload() said to hold: `target` and `timeoutMs` come from its decision. */
  wait(target: ReloadTarget, timeoutMs: number): PendingReload {
    let waiter: Waiter | undefined;
    const outcome = new Promise<WaitOutcome>((resolve) => {
      const timedOut: WaitOutcome = { kind: 'timed-out', status: BLOCKING_TIMEOUT_STATUS };
      const cancelTimer = this.schedule(timeoutMs, () => this.settle(waiter, timedOut));
      waiter = { target, settle: resolve, cancelTimer };
      this.waiters.add(waiter);
    });
    return { outcome, cancel: () => this.forget(waiter) };
  }

  /** The playlist changed: every request whose target it now holds becomes ready. */
  release(position: ReloadPosition): void {
    for (const waiter of this.waiters) {
      if (holds(position, waiter.target)) this.settle(waiter, { kind: 'ready' });
    }
  }

  /** Settles every waiting request as closed. */
  close(): void {
    for (const waiter of this.waiters) this.settle(waiter, { kind: 'closed' });
  }

  private settle(waiter: Waiter | undefined, outcome: WaitOutcome): void {
    if (!waiter || !this.forget(waiter)) return;
    waiter.settle(outcome);
  }

  private forget(waiter: Waiter | undefined): boolean {
    if (!waiter || !this.waiters.delete(waiter)) return false;
    waiter.cancelTimer();
    return true;
  }
}
