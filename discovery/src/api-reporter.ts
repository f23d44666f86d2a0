import type { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import type { EndedStreamReport, StreamReport, StreamReporter } from './stream-reporter.js';

/**
 * Reports this origin's streams to the API through the internal API client; one attempt per call,
 * failing with the client's errors (internal-api-errors.ts: the report outbox retries what may
 * succeed later and drops what the API refused).
 */
export class ApiReporter implements StreamReporter {
  constructor(
    private readonly client: Pick<InternalApiClient, 'reportStream' | 'withdrawStream'>,
    /** host:port of this origin, sent with every report. */
    private readonly originHost: string,
  ) {}

  async register({ name, manifest }: StreamReport): Promise<void> {
    await this.client.reportStream({ name, manifest, host: this.originHost });
  }

  async end({ name, manifest, graceSeconds }: EndedStreamReport): Promise<void> {
    await this.client.reportStream({ name, manifest, host: this.originHost, state: 'ended', grace_seconds: graceSeconds });
  }

  async withdraw(name: string): Promise<void> {
    await this.client.withdrawStream(name, this.originHost);
  }
}
