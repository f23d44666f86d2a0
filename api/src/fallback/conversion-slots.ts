/**
 * FALLBACK_MAX_CONVERSIONS: how many ffmpeg conversions run at once. Only complete uploads ask
 * for a slot, so a client that sends its body slowly never holds one; they get slots in the
 * order they asked. The queue is bounded by the uploads admitted (FALLBACK_MAX_UPLOADS).
 */
export class ConversionSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Resolves once a slot is this caller's; give it back with the function it resolves to. */
  async acquire(): Promise<() => void> {
    if (this.running < this.max) {
      this.running++;
    } else {
      // The slot is handed over by release(): `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Conversions running and complete uploads waiting for a slot. */
  get usage(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
