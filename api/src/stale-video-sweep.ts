import type { FastifyBaseLogger } from 'fastify';
import type { VideoStore } from './store/video-store.js';

/** The longest between two sweeps: a vanished origin's videos leave the listing within a minute past their timeout. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Withdraws live-inprogress videos whose origin stopped reporting them for
 * VIDEO_REPORT_TIMEOUT_SECONDS (the origin vanished: killed for good, its disk lost), so they are
 * not listed as recording forever nor counted against their owner's quota. Not a deletion (no
 * tombstone): an origin that comes back closes the recording at its start and reports it again,
 * ready. The first sweep waits one timeout, so an API that was itself down gives the origins'
 * reports time to arrive before their videos look stale.
 */
export class StaleVideoSweep {
  private timer?: NodeJS.Timeout;
  private readonly intervalMs: number;

  constructor(
    private readonly videos: Pick<VideoStore, 'withdrawStale'>,
    private readonly timeoutMs: number,
    private readonly logger: FastifyBaseLogger,
    private readonly onWithdrawn: (count: number) => void,
  ) {
    this.intervalMs = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(1000, timeoutMs / 2));
  }

  start(): void {
    this.schedule(this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.sweep(), delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      const withdrawn = await this.videos.withdrawStale(this.timeoutMs);
      this.onWithdrawn(withdrawn);
      if (withdrawn > 0) this.logger.warn({ withdrawn, timeoutSeconds: this.timeoutMs / 1000 }, 'withdrew recordings whose origin stopped reporting them');
    } catch (error) {
      this.logger.warn({ err: error }, 'the stale videos sweep failed; it runs again at the next interval');
    }
    if (this.timer) this.schedule(this.intervalMs);
  }
}
