/**
 * Time from receiving the frame that closes a segment to the playlist naming it being on disk.
 * Kept as a bounded window of recent samples for the origin's /stats endpoint and benchmarks.
 */
export class SegmentDelayStats {
  private readonly samples: number[] = [];
  private total = 0;

  constructor(private readonly capacity = 10_000) {}

  record(delayMs: number): void {
    this.total += 1;
    this.samples.push(delayMs);
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  summary(): { segments: number; medianMs: number | null; maxMs: number | null } {
    if (this.samples.length === 0) return { segments: this.total, medianMs: null, maxMs: null };
    const sorted = [...this.samples].sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 100) / 100;
    return {
      segments: this.total,
      medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
      maxMs: round(sorted[sorted.length - 1]!),
    };
  }

  reset(): void {
    this.samples.length = 0;
    this.total = 0;
  }
}
