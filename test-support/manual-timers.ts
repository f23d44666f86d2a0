/**
 * Timers run by hand, for code that takes a `schedule(delayMs, callback) => cancel` option: a
 * test moves the clock and each callback that comes due runs then, synchronously, in due order.
 * "Not yet" and "never" become checks of what is pending instead of sleeps.
 */
export class ManualTimers {
  private nowMs = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { dueMs: number; callback: () => void }>();

  readonly schedule = (delayMs: number, callback: () => void): (() => void) => {
    const id = this.nextId++;
    this.timers.set(id, { dueMs: this.nowMs + delayMs, callback });
    return () => {
      this.timers.delete(id);
    };
  };

  /** How far away each waiting callback is, soonest first. */
  get pending(): number[] {
    return [...this.timers.values()].map(({ dueMs }) => dueMs - this.nowMs).sort((a, b) => a - b);
  }

  /** Moves the clock `ms` on, running each callback that comes due (ties in scheduling order). */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      let due: [number, { dueMs: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].dueMs <= until && (!due || entry[1].dueMs < due[1].dueMs)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.nowMs = due[1].dueMs;
      due[1].callback();
    }
    this.nowMs = until;
  }
}
