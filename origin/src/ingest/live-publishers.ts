/**
 * The publishers an ingest (RTMP, SRT, WebSocket) holds live, and a wait for the last to end: the
 * origin's drain (SIGTERM) lets live publishers go on and stops once none is left.
 */
export class LivePublishers<T> {
  private readonly publishers = new Set<T>();
  /** Told each time a publisher leaves. */
  private readonly leaveListeners = new Set<() => void>();

  get size(): number {
    return this.publishers.size;
  }

  has(publisher: T): boolean {
    return this.publishers.has(publisher);
  }

  add(publisher: T): void {
    this.publishers.add(publisher);
  }

  delete(publisher: T): void {
    if (!this.publishers.delete(publisher)) return;
    for (const listener of [...this.leaveListeners]) listener();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.publishers.values();
  }

  /** Resolves once no publisher is live (at once when none is). */
  whenEmpty(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.publishers.size > 0) return;
        this.leaveListeners.delete(check);
        resolve();
      };
      this.leaveListeners.add(check);
      check();
    });
  }
}
