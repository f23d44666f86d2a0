/**
 * The promises a test fake started (writes, removals), so that a test can wait until every one of
 * them, and every one they started in turn, has ended and been seen by its caller. Failures are
 * the caller's to see: waiting here never rejects.
 */
export class PendingOperations {
  private readonly pending: Promise<unknown>[] = [];

  /** Returns `operation` as it is, keeping it to wait for. */
  track<T>(operation: Promise<T>): Promise<T> {
    this.pending.push(operation.catch(() => undefined));
    return operation;
  }

  async settled(): Promise<void> {
    let seen = -1;
    while (seen !== this.pending.length) {
      seen = this.pending.length;
      await Promise.all(this.pending);
      // One turn more: what an ended operation's callers start is tracked before the next check.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
