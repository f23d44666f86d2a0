/**
 * Time from receiving the frame that closes a segment to the playlist naming it being on disk,
 * over the last `windowMs` (so a burst at start-up does not mask what happens now). Served by the
 * origin's `GET /stats` for operators and benchmarks.
 */
export class SegmentDelayStats {
  private samples: Array<{ at: number; delayMs: number }> = [];
  private total = 0;

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(delayMs: number): void {
    this.total += 1;
    this.samples.push({ at: this.now(), delayMs });
    this.prune();
  }

  summary(): { segments: number; windowSeconds: number; medianMs: number | null; maxMs: number | null } {
    this.prune();
    const windowSeconds = this.windowMs / 1000;
    if (this.samples.length === 0) return { segments: this.total, windowSeconds, medianMs: null, maxMs: null };
    const sorted = this.samples.map((sample) => sample.delayMs).sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 100) / 100;
    return {
      segments: this.total,
      windowSeconds,
      medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
      maxMs: round(sorted[sorted.length - 1]!),
    };
  }

  private prune(): void {
    const oldest = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.at < oldest) drop += 1;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }
}
