import type { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import type { ClaimedPull } from '../../../internal-api/src/pull-contract.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import { PullRunner, type PullRunnerOptions } from './pull-runner.js';
import type { PullSettings } from './pull-settings.js';

export interface PullSourcesOptions extends Omit<PullRunnerOptions, 'source' | 'limits'> {
  client: Pick<InternalApiClient, 'claimPulls'>;
  originId: string;
  settings: PullSettings;
  logger: Logger;
}

/**
 * The pull sources this origin runs (issue 15). Every PULL_POLL_SECONDS it claims its pulls from
 * the API and reports how each is doing; a pull the answer no longer names (deleted, or leased
 * to another origin) is stopped, a new one started. When the API cannot be reached for longer
 * than the lease, the pulls are stopped: another origin may hold them by now.
 */
export class PullSources {
  private readonly runners = new Map<string, PullRunner>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private leaseMs = Number.POSITIVE_INFINITY;
  private lastClaimAt = performance.now();
  private apiDown = false;

  constructor(private readonly options: PullSourcesOptions) {}

  get size(): number {
    return this.runners.size;
  }

  start(): void {
    if (this.options.settings.maxPerOrigin === 0) return;
    const tick = () => {
      this.inFlight = this.claim().finally(() => {
        this.inFlight = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.options.settings.pollMs);
      });
    };
    tick();
  }

  /** Stops claiming and every pull (their ffmpegs are killed); the leases lapse for other origins. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    for (const stream of [...this.runners.keys()]) this.stopPull(stream);
  }

  private async claim(): Promise<void> {
    const { client, originId, settings, logger } = this.options;
    try {
      const answer = await client.claimPulls({
        origin_id: originId,
        max: settings.maxPerOrigin,
        statuses: [...this.runners.values()].map((runner) => runner.status()),
      });
      if (this.stopped) return;
      this.lastClaimAt = performance.now();
      this.leaseMs = answer.lease_seconds * 1000;
      if (this.apiDown) logger.info('API answers pull claims again');
      this.apiDown = false;
      this.follow(answer.pulls);
    } catch (error) {
      if (!this.apiDown) logger.warn({ err: error }, 'pull claim failed; retrying');
      this.apiDown = true;
      if (performance.now() - this.lastClaimAt > this.leaseMs && this.runners.size > 0) {
        logger.warn({ pulls: this.runners.size }, 'pull leases lapsed without the API: stopping the pulls');
        for (const stream of [...this.runners.keys()]) this.stopPull(stream);
      }
    }
  }

  /** Runs exactly the claimed pulls; one whose URL or key changed starts again. */
  private follow(pulls: readonly ClaimedPull[]): void {
    const claimed = new Map(pulls.map((pull) => [pull.stream, pull]));
    for (const [stream, runner] of this.runners) {
      const pull = claimed.get(stream);
      if (!pull || pull.url !== runner.source.url || pull.stream_key !== runner.source.streamKey) this.stopPull(stream);
    }
    for (const pull of claimed.values()) {
      if (this.runners.has(pull.stream)) continue;
      const { settings, client: _client, originId: _originId, ...runnerOptions } = this.options;
      const runner = new PullRunner({
        ...runnerOptions,
        source: { stream: pull.stream, url: pull.url, streamKey: pull.stream_key },
        limits: settings,
      });
      this.runners.set(pull.stream, runner);
      this.options.logger.info({ stream: pull.stream }, 'pull claimed: starting');
      runner.start();
    }
  }

  private stopPull(stream: string): void {
    const runner = this.runners.get(stream);
    if (!runner) return;
    this.runners.delete(stream);
    runner.stop();
    this.options.logger.info({ stream }, 'pull stopped');
  }
}
