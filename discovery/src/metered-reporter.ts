import type { DiscoveryMetrics } from './discovery-metrics.js';
import type { EndedStreamReport, StreamReport, StreamReporter } from './stream-reporter.js';

/** A StreamReporter that counts each attempt's outcome, and the lag of reports a manifest write caused. */
export class MeteredReporter implements StreamReporter {
  constructor(
    private readonly reporter: StreamReporter,
    private readonly metrics: Pick<DiscoveryMetrics, 'reported' | 'reportFailed'>,
    private readonly now: () => number = Date.now,
  ) {}

  register(report: StreamReport): Promise<void> {
    return this.count('register', report.writtenAt, () => this.reporter.register(report));
  }

  end(report: EndedStreamReport): Promise<void> {
    return this.count('end', report.writtenAt, () => this.reporter.end(report));
  }

  withdraw(name: string): Promise<void> {
    return this.count('withdraw', undefined, () => this.reporter.withdraw(name));
  }

  private async count(kind: 'register' | 'end' | 'withdraw', writtenAt: number | undefined, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.metrics.reportFailed(kind, error);
      throw error;
    }
    this.metrics.reported(kind, writtenAt, this.now());
  }
}
