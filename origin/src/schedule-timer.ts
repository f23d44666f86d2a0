/**
 * Delayed work of the origin's long-lived objects (deleting HLS segments after their grace,
 * removing a finished stream's folder, ending a stream whose publisher did not come back) goes
 * through a ScheduleTimer option, so that tests can run it by hand and check "not yet" and "never"
 * without waiting on the wall clock.
 */

/** Cancels a scheduled callback; calling it after the callback ran does nothing. */
export type CancelTimer = () => void;

export type ScheduleTimer = (delayMs: number, callback: () => void) => CancelTimer;

/** Node's timers. */
export const scheduleTimer: ScheduleTimer = (delayMs, callback) => {
  const timer = setTimeout(callback, delayMs);
  return () => clearTimeout(timer);
};

/** Node's timers, unref'd: for housekeeping that must not keep a stopping process alive. */
export const scheduleUnrefTimer: ScheduleTimer = (delayMs, callback) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};
