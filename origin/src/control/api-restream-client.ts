import { request } from 'undici';
import { bearerOf } from '../../../internal-api/src/internal-token.js';
import type { FallbackRef } from '../fallback/index.js';
import type { RestreamStatus, RestreamTarget } from '../restream/index.js';

export interface RestreamConfig {
  version: number;
  targets: RestreamTarget[];
  /** The stream's fallback video, played while its publisher is away; null without one. */
  fallback: FallbackRef | null;
}

/** The API's internal restream routes: a stream's targets (with their keys), their status, its fallback. */
export class ApiRestreamClient {
  constructor(
    private readonly apiUrl: string,
    private readonly originId: string,
    private readonly timeoutMs: number,
    private readonly internalToken: string,
  ) {}

  async config(stream: string): Promise<RestreamConfig> {
    const body = (await this.send('GET', `/internal/streams/${encodeURIComponent(stream)}/restream`)) as {
      version?: unknown;
      targets?: Array<{ id: string; url: string; stream_key: string; enabled: boolean; retry?: { attempts?: number; delay_s?: number } }>;
      fallback?: { version?: unknown; url?: unknown } | null;
    };
    const { fallback } = body;
    return {
      version: typeof body.version === 'number' ? body.version : 0,
      targets: (body.targets ?? []).map((target) => ({
        id: target.id,
        url: target.url,
        streamKey: target.stream_key,
        enabled: target.enabled,
        retry: { attempts: target.retry?.attempts, delayS: target.retry?.delay_s },
      })),
      fallback:
        fallback && typeof fallback.version === 'number' && typeof fallback.url === 'string'
          ? { version: fallback.version, url: fallback.url }
          : null,
    };
  }

  async reportStatus(stream: string, statuses: RestreamStatus[]): Promise<void> {
    await this.send('PUT', `/internal/streams/${encodeURIComponent(stream)}/restream-status`, {
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

  private async send(method: 'GET' | 'PUT', path: string, body?: object): Promise<unknown> {
    const response = await request(`${this.apiUrl}${path}`, {
      method,
      headers: { authorization: bearerOf(this.internalToken), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`API answered ${response.statusCode} to ${method} ${path}`);
    return text === '' ? {} : JSON.parse(text);
  }
}
