const RATE_WINDOW_MS = 5_000;

/**
 * Bytes a publisher sent over a 5 s window, against a rate: a burst is fine, a sustained flood is
 * not. Used for whatever a peer can push at the origin (a WebSocket page, a pulled source).
 */
export class ByteRateWindow {
  private windowStart: number;
  private windowBytes = 0;

  constructor(
    private readonly maxBytesPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  /** Counts `bytes`; false once the window holds more than the rate allows. */
  add(bytes: number): boolean {
    const now = this.now();
    if (now - this.windowStart > RATE_WINDOW_MS) {
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += bytes;
    return this.windowBytes <= (this.maxBytesPerSecond * RATE_WINDOW_MS) / 1000;
  }
}
