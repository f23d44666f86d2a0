/**
 * Bytes of RTMP chunk-stream state (partly received messages and the buffers kept for them) that
 * all connections of one listener may hold together. Each connection takes from it as its parser
 * grows and gives everything back when it closes.
 */
export class ChunkStateBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) when they do not. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
