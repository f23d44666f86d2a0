import type { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { LivePublishInfo } from '../packaging/live-stream-registry.js';
import { ingestReport, readingOf, type PublishReading } from './ingest-report.js';

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
  /** These waiting streams' publisher came back on another origin: let them go now. */
  handedOver(streams: readonly string[]): void;
}

export interface IngestHeartbeatOptions {
  client: Pick<InternalApiClient, 'heartbeat' | 'publisherLeft' | 'leave'>;
  originId: string;
  description: IngestDescription;
  intervalMs: number;
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
  /** Each publish's reading at the previous beat, by session id. */
  private previous = new Map<string, PublishReading>();
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

  /**
   * The publisher left: the API is told at once, so that it may come back without waiting, on this
   * origin or another one. The stream's lease stays with this origin while the heartbeat reports
   * the stream waiting (fallback, pushes), and lapses otherwise.
   */
  publishEnded(publish: LivePublishInfo): void {
    this.options.client.publisherLeft(this.options.originId, publish.sessionId, publish.stream).catch((error: unknown) =>
      this.options.logger.warn({ err: error, stream: publish.stream }, 'could not tell the API the publisher left; its lease lapses on its own'),
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
    await this.options.client.leave(this.options.originId).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const publishes = this.options.live.publishes();
    const now = performance.now();
    const seconds = Math.max((now - this.previousAt) / 1000, 0.001);
    const reported = publishes.map((publish) => ({
      session_id: publish.sessionId,
      stream: publish.stream,
      key_generation: publish.keyGeneration,
      ingest: ingestReport(publish, this.previous.get(publish.sessionId), seconds),
    }));
    this.previous = new Map(publishes.map((publish) => [publish.sessionId, readingOf(publish)]));
    this.previousAt = now;
    const { description } = this.options;
    const body = {
      name: description.name,
      region: description.region,
      priority: description.priority,
      url_templates: description.urlTemplates,
      load: { streams: publishes.length, bandwidth_bps: reported.reduce((sum, publish) => sum + publish.ingest.bitrate_bps, 0) },
      publishes: reported,
      waiting: this.options.live.waiting(),
    };
    try {
      const answer = await this.options.client.heartbeat(this.options.originId, body);
      // First: a deleted stream's publisher is cut with its stream, not as a drop-out that starts its fallback.
      if (answer.ended.length > 0) this.options.live.endForGood(answer.ended);
      if (answer.handed_over?.length) this.options.live.handedOver(answer.handed_over);
      this.options.onRestreamVersions?.(answer.restream);
      if (this.apiDown) this.options.logger.info('API answers heartbeats again');
      this.apiDown = false;
      if (answer.disconnect.length > 0) this.options.live.disconnect(answer.disconnect);
    } catch (error) {
      if (!this.apiDown) this.options.logger.warn({ err: error }, 'heartbeat to the API failed; retrying');
      this.apiDown = true;
    }
  }
}
