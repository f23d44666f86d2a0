import type { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import type { FallbackRef } from '../fallback/index.js';
import type { RestreamStatus, RestreamTarget } from '../restream/index.js';

export interface RestreamConfig {
  version: number;
  targets: RestreamTarget[];
  /** The stream's fallback video, played while its publisher is away; null without one. */
  fallback: FallbackRef | null;
}

/** A stream's restream targets (with their keys) and fallback from the API, and its pushes' status to it. */
export class ApiRestreamClient {
  constructor(
    private readonly client: Pick<InternalApiClient, 'restreamConfig' | 'reportRestreamStatus'>,
    private readonly originId: string,
  ) {}

  async config(stream: string): Promise<RestreamConfig> {
    const config = await this.client.restreamConfig(stream);
    return {
      version: config.version,
      targets: config.targets.map((target) => ({
        id: target.id,
        url: target.url,
        streamKey: target.stream_key,
        enabled: target.enabled,
        retry: { attempts: target.retry.attempts, delayS: target.retry.delay_s },
      })),
      fallback: config.fallback ? { version: config.fallback.version } : null,
    };
  }

  async reportStatus(stream: string, statuses: RestreamStatus[]): Promise<void> {
    await this.client.reportRestreamStatus(stream, {
      origin_id: this.originId,
      targets: statuses.map((status) => ({
        id: status.targetId,
        state: status.state,
        since: status.since,
        bytes_sent: status.bytesSent,
        bitrate_bps: status.bitrateBps,
        attempts: status.attempts,
        last_error: status.lastError ? status.lastError.message : null,
        skipped_keyframes: status.skippedKeyframes,
      })),
    });
  }
}
