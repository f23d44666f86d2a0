/**
 * The origin's Prometheus metrics (`GET /metrics` on its HTTP port). Labels stay bounded: the
 * only per-stream label is `stream` on the ingest byte counter, and only while that stream's
 * publish is live here (read from the live publishes at each scrape).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import type { ConnectionRefusal } from './ingest/connection-limits.js';
import type { PublishRefusal, PublishRefusalCounter } from './ingest/publish-refusal.js';
import type { SegmentDelaySink } from './packaging/stream-packager.js';
import type { PushCounters, RestreamState } from './restream/index.js';

/** What the gauges read when scraped. */
export interface OriginMetricSources {
  /** Streams with a live publisher. */
  liveStreams(): number;
  /** Streams whose fallback video stands in for a publisher that left. */
  fallbacksPlaying(): number;
  /** Each live publish's stream and the media bytes it sent so far. */
  publishes(): Array<{ stream: string; bytesIn: number }>;
  /** The state of every restream push. */
  pushStates(): RestreamState[];
}

const PUSH_STATES: readonly RestreamState[] = ['idle', 'connecting', 'live', 'retrying', 'failed', 'disabled'];

export class OriginMetrics extends ServiceMetrics implements PublishRefusalCounter, PushCounters, SegmentDelaySink {
  private readonly refusals: Counter<'reason'>;
  private readonly connectionRefusals: Counter<'limit'>;
  private readonly segmentDelay: Histogram;
  private readonly pushBytes: Counter;
  private readonly pushRetries: Counter;
  private readonly pushFailures: Counter<'code'>;
  private readonly keyframeSkips: Counter;

  constructor(sources: OriginMetricSources) {
    super();
    const registers = this.registers;
    new Gauge({
      name: 'origin_live_streams',
      help: 'Streams with a live publisher on this origin.',
      registers,
      collect() {
        this.set(sources.liveStreams());
      },
    });
    new Gauge({
      name: 'origin_fallbacks_playing',
      help: 'Streams whose fallback video stands in for a publisher that left.',
      registers,
      collect() {
        this.set(sources.fallbacksPlaying());
      },
    });
    new Counter({
      name: 'origin_ingest_bytes_total',
      help: 'Media bytes received from each live publish (from its start; the series goes when the publish ends).',
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const { stream, bytesIn } of sources.publishes()) this.inc({ stream }, bytesIn);
      },
    });
    this.segmentDelay = new Histogram({
      name: 'origin_segment_delay_seconds',
      help: 'Time from the frame that closes a segment to the playlist naming it being on disk.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.refusals = new Counter({
      name: 'origin_publish_refusals_total',
      help: 'Publishes refused or cut before going live, by reason (denied, api_unavailable, already_live, shutting_down, early_media_overflow, bad_media, failed).',
      labelNames: ['reason'],
      registers,
    });
    this.connectionRefusals = new Counter({
      name: 'origin_rtmp_connections_refused_total',
      help: 'RTMP connections refused at accept, by the limit reached.',
      labelNames: ['limit'],
      registers,
    });
    new Gauge({
      name: 'origin_restream_pushes',
      help: 'Restream pushes (one per target of a stream live or waiting here) by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map(PUSH_STATES.map((state) => [state, 0]));
        for (const state of sources.pushStates()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    this.pushBytes = new Counter({ name: 'origin_restream_bytes_total', help: 'Bytes restream targets took, all targets.', registers });
    this.pushRetries = new Counter({
      name: 'origin_restream_retries_total',
      help: 'Restream connections scheduled to be tried again after a failure.',
      registers,
    });
    this.pushFailures = new Counter({
      name: 'origin_restream_failures_total',
      help: 'Restream connections that failed or were lost, by error code (RESTREAM_ERR_*).',
      labelNames: ['code'],
      registers,
    });
    this.keyframeSkips = new Counter({
      name: 'origin_restream_keyframe_skips_total',
      help: 'Times a slow target\'s backlog overflowed and its push skipped to the next keyframe.',
      registers,
    });
  }

  publishRefused(reason: PublishRefusal): void {
    this.child(this.refusals, reason).inc();
  }

  connectionRefused(limit: ConnectionRefusal): void {
    this.child(this.connectionRefusals, limit).inc();
  }

  record(delayMs: number): void {
    this.segmentDelay.observe(delayMs / 1000);
  }

  bytesSent(bytes: number): void {
    this.pushBytes.inc(bytes);
  }

  retryScheduled(): void {
    this.pushRetries.inc();
  }

  failed(code: string): void {
    this.child(this.pushFailures, code).inc();
  }

  keyframesSkipped(count: number): void {
    this.keyframeSkips.inc(count);
  }
}
