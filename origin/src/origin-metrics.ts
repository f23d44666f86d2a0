/**
 * The origin's Prometheus metrics (`GET /metrics` on its HTTP port). Labels stay bounded: the
 * only per-stream label is `stream` on the ingest byte counter, and only while that stream's
 * publish is live here (read from the live publishes at each scrape).
 */
import { Counter, type Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import { CONNECTION_REFUSALS, type ConnectionRefusal } from './ingest/connection-limits.js';
import { PUBLISH_REFUSALS, type PublishRefusal, type PublishRefusalCounter } from './ingest/publish-refusal.js';
import type { SegmentDelaySink } from './packaging/stream-packager.js';
import type { PushCounters, RestreamState } from './restream/index.js';
import { RESTREAM_ERROR_CODES } from './restream/restream-errors.js';

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
  /** Videos being recorded or waiting for their publisher. */
  recordingsOpen(): number;
  /** Segment bytes recorded since the origin started, and recording work (a segment, a close) that failed. */
  recordingTotals(): { bytes: number; failures: number };
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
    this.gauge('origin_live_streams', 'Streams with a live publisher on this origin.', (gauge) => gauge.set(sources.liveStreams()));
    this.gauge('origin_fallbacks_playing', 'Streams whose fallback video stands in for a publisher that left.', (gauge) =>
      gauge.set(sources.fallbacksPlaying()),
    );
    new Counter({
      name: 'origin_ingest_bytes_total',
      help: 'Media bytes received from each live publish (from its start; the series goes when the publish ends).',
      labelNames: ['stream'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { stream, bytesIn } of sources.publishes()) this.inc({ stream }, bytesIn);
      },
    });
    this.gauge('origin_recordings_open', 'Videos being recorded on this origin, or waiting for their publisher to come back.', (gauge) =>
      gauge.set(sources.recordingsOpen()),
    );
    for (const [name, help, total] of [
      ['origin_recorded_bytes_total', 'Segment bytes kept in recordings (hard-linked or copied) since the origin started.', 'bytes'],
      ['origin_recording_failures_total', 'Recording work that failed: a segment not kept, or a video not closed (the live stream is not affected).', 'failures'],
    ] as const) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(sources.recordingTotals()[total]);
        },
      });
    }
    this.segmentDelay = this.histogram(
      'origin_segment_delay_seconds',
      'Time from the frame that closes a segment to the playlist naming it being on disk.',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
    this.refusals = this.counter(
      'origin_publish_refusals_total',
      'Publishes refused or cut before going live, by reason (denied, api_unavailable, already_live, shutting_down, early_media_overflow, bad_media, failed).',
      ['reason'],
    );
    this.startAtZero(this.refusals, { reason: PUBLISH_REFUSALS });
    this.connectionRefusals = this.counter('origin_rtmp_connections_refused_total', 'RTMP connections refused at accept, by the limit reached.', ['limit']);
    this.startAtZero(this.connectionRefusals, { limit: CONNECTION_REFUSALS });
    this.gauge(
      'origin_restream_pushes',
      'Restream pushes (one per target of a stream live or waiting here) by state.',
      (gauge) => {
        const counts = new Map(PUSH_STATES.map((state) => [state, 0]));
        for (const state of sources.pushStates()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, count] of counts) gauge.set({ state }, count);
      },
      ['state'],
    );
    this.pushBytes = this.counter('origin_restream_bytes_total', 'Bytes restream targets took, all targets.');
    this.pushRetries = this.counter('origin_restream_retries_total', 'Restream connections scheduled to be tried again after a failure.');
    this.pushFailures = this.counter('origin_restream_failures_total', 'Restream connections that failed or were lost, by error code (RESTREAM_ERR_*).', ['code']);
    this.startAtZero(this.pushFailures, { code: RESTREAM_ERROR_CODES });
    this.keyframeSkips = this.counter(
      'origin_restream_keyframe_skips_total',
      "Times a slow target's backlog overflowed and its push skipped to the next keyframe.",
    );
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
