/**
 * The delayed work of the HLS writers (deleting segments after their grace, removing a finished
 * stream's folder) goes through this, so that tests can run it by hand and check "not yet" and
 * "never" without waiting on the wall clock.
 */

/** Cancels a scheduled callback; calling it after the callback ran does nothing. */
export type CancelTimer = () => void;

export type ScheduleTimer = (delayMs: number, callback: () => void) => CancelTimer;

/**
 * Node's timers, unref'd: pending HLS housekeeping never keeps a stopping origin alive (the
 * start-up sweep removes what is left).
 */
export const scheduleUnrefTimer: ScheduleTimer = (delayMs, callback) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};
