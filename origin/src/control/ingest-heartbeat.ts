import { request } from 'undici';
import { bearerOf } from '../../../internal-api/src/internal-token.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { LivePublishInfo } from '../packaging/live-stream-registry.js';

/** How users reach this origin, as listed by `GET /v1/ingests`. */
export interface IngestDescription {
  name: string;
  region: string;
  priority: number;
  urlTemplates: { rtmp: string; srt?: string; websocket?: string };
}

/** The part of the origin the heartbeat reports on and acts upon. */
export interface LivePublishes {
  publishes(): LivePublishInfo[];
  /** Streams held here without a publisher (fallback playing or pushes waiting): the API says if they were deleted. */
  waiting(): string[];
  disconnect(sessionIds: Iterable<string>): void;
  /** The API deleted these streams: end them for good now. */
  endForGood(streams: readonly string[]): void;
}

export interface IngestHeartbeatOptions {
  apiUrl: string;
  internalToken: string;
  originId: string;
  description: IngestDescription;
  intervalMs: number;
  timeoutMs: number;
  live: LivePublishes;
  logger: Logger;
  /** The API's restream configuration version of each live stream, from every answer. */
  onRestreamVersions?: (versions: Record<string, number>) => void;
}

/**
 * Tells the API every `intervalMs` that this origin is up, how loaded it is and which publishes
 * it holds; the answer names publishes to cut (key reset, stream deleted, lease lost), so a
 * revoked publisher is gone within about one interval.
 */
export class IngestHeartbeat {
  private timer?: NodeJS.Timeout;
  /** The beat being sent, if any (never rejects). */
  private inFlight?: Promise<void>;
  private previous = new Map<string, number>();
  private previousAt = performance.now();
  private apiDown = false;
  private stopped = false;

  constructor(private readonly options: IngestHeartbeatOptions) {}

  start(): void {
    const tick = () => {
      this.inFlight = this.beat().finally(() => {
        this.inFlight = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    tick();
  }

  /** The publisher left: its lease is released at once so it can come back without waiting. */
  publishEnded(publish: LivePublishInfo): void {
    const query = new URLSearchParams({ stream: publish.stream });
    const path = `/ingests/${encodeURIComponent(this.options.originId)}/publishes/${encodeURIComponent(publish.sessionId)}?${query}`;
    this.send('DELETE', path).catch((error: unknown) =>
      this.options.logger.warn({ err: error, stream: publish.stream }, 'could not release the publish lease; it expires on its own'),
    );
  }

  /**
   * Stops beating and tells the API this origin is leaving, after the beat in flight (if any) is
   * answered: a beat that reached the API after the leave would list the origin again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.send('DELETE', `/ingests/${encodeURIComponent(this.options.originId)}`).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const publishes = this.options.live.publishes();
    const now = performance.now();
    const seconds = Math.max((now - this.previousAt) / 1000, 0.001);
    let bytes = 0;
    for (const publish of publishes) bytes += publish.bytesIn - (this.previous.get(publish.sessionId) ?? 0);
    this.previous = new Map(publishes.map((publish) => [publish.sessionId, publish.bytesIn]));
    this.previousAt = now;
    const { description } = this.options;
    const body = {
      name: description.name,
      region: description.region,
      priority: description.priority,
      url_templates: description.urlTemplates,
      load: { streams: publishes.length, bandwidth_bps: Math.round((bytes * 8) / seconds) },
      publishes: publishes.map((p) => ({ session_id: p.sessionId, stream: p.stream, key_generation: p.keyGeneration })),
      waiting: this.options.live.waiting(),
    };
    try {
      const answer = (await this.send('PUT', `/ingests/${encodeURIComponent(this.options.originId)}`, body)) as {
        disconnect?: unknown;
        ended?: unknown;
        restream?: unknown;
      };
      // First: a deleted stream's publisher is cut with its stream, not as a drop-out that starts its fallback.
      if (Array.isArray(answer.ended) && answer.ended.length > 0) {
        this.options.live.endForGood(answer.ended.filter((name): name is string => typeof name === 'string'));
      }
      if (answer.restream && typeof answer.restream === 'object') {
        this.options.onRestreamVersions?.(answer.restream as Record<string, number>);
      }
      if (this.apiDown) this.options.logger.info('API answers heartbeats again');
      this.apiDown = false;
      if (Array.isArray(answer.disconnect) && answer.disconnect.length > 0) {
        this.options.live.disconnect(answer.disconnect.filter((id): id is string => typeof id === 'string'));
      }
    } catch (error) {
      if (!this.apiDown) this.options.logger.warn({ err: error }, 'heartbeat to the API failed; retrying');
      this.apiDown = true;
    }
  }

  private async send(method: 'PUT' | 'DELETE', path: string, body?: object): Promise<unknown> {
    const { timeoutMs } = this.options;
    const response = await request(`${this.options.apiUrl}${path}`, {
      method,
      headers: { authorization: bearerOf(this.options.internalToken), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`API answered ${response.statusCode} to ${method} ${path.split('?')[0]}`);
    return text === '' ? {} : JSON.parse(text);
  }
}
