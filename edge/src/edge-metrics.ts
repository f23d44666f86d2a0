/** The edge's Prometheus metrics (`GET /metrics`), in a registry of the app's own. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import type { FetchOutcome } from './coalesced-fetch.js';
import type { MediaKind } from './stream-path.js';

/** `other`: /health, /metrics, refused and unknown paths. */
export type RequestKind = MediaKind | 'other';
export type CacheResult = 'hit' | 'miss' | 'coalesced';

/** What the gauges read when scraped. */
export interface MetricSources {
  cacheBytes(): number;
  cacheEntries(): number;
  notFoundEntries(): number;
  fetchesInFlight(): number;
  /** Playback sessions this edge saw within the viewer idle time, all streams. */
  liveViewers(): number;
}

/** Every edge metric; gauges read their sources when scraped. */
export class EdgeMetrics extends ServiceMetrics {
  private readonly requests: Counter<'kind' | 'status'>;
  private readonly cacheRequests: Counter<'kind' | 'result'>;
  private readonly servedBytes: Counter<'kind'>;
  private readonly originFetches: Counter<'kind' | 'outcome'>;
  private readonly originFetchSeconds: Histogram<'kind' | 'outcome'>;
  private readonly originBytes: Counter<'kind'>;

  constructor(sources: MetricSources) {
    super();
    const registers = this.registers;
    this.requests = new Counter({
      name: 'edge_requests_total',
      help: 'Requests answered, by kind (playlist, segment, other) and HTTP status.',
      labelNames: ['kind', 'status'],
      registers,
    });
    this.cacheRequests = new Counter({
      name: 'edge_cache_requests_total',
      help: 'Media requests by cache result: hit, miss (started an origin fetch) or coalesced (joined one).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.servedBytes = new Counter({
      name: 'edge_served_bytes_total',
      help: 'Media body bytes handed to viewers.',
      labelNames: ['kind'],
      registers,
    });
    this.originFetches = new Counter({
      name: 'edge_origin_fetches_total',
      help: 'Origin fetches by outcome (ok, not_found, oversize, bad_status, refused, truncated, unreachable, timeout, abandoned).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.originFetchSeconds = new Histogram({
      name: 'edge_origin_fetch_duration_seconds',
      help: 'Time from an origin request to the end of its body (or its failure).',
      labelNames: ['kind', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.originBytes = new Counter({
      name: 'edge_origin_bytes_total',
      help: 'Body bytes of 200 answers received from origins.',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: 'edge_origin_fetches_in_flight',
      help: 'Origin fetches under way (each may serve many viewers).',
      registers,
      collect() {
        this.set(sources.fetchesInFlight());
      },
    });
    new Gauge({
      name: 'edge_live_viewers',
      help: 'Playback sessions this edge saw within the last 30 s (all streams; the API counts across edges).',
      registers,
      collect() {
        this.set(sources.liveViewers());
      },
    });
    new Gauge({
      name: 'edge_cache_bytes',
      help: 'Bytes of playlists and segments held in the cache.',
      registers,
      collect() {
        this.set(sources.cacheBytes());
      },
    });
    new Gauge({
      name: 'edge_cache_entries',
      help: 'Entries held: media (playlists and segments) and not_found (origin 404s remembered).',
      labelNames: ['type'],
      registers,
      collect() {
        this.set({ type: 'media' }, sources.cacheEntries());
        this.set({ type: 'not_found' }, sources.notFoundEntries());
      },
    });
  }

  request(kind: RequestKind, status: number): void {
    this.child(this.requests, kind, String(status)).inc();
  }

  cacheRequest(kind: MediaKind, result: CacheResult): void {
    this.child(this.cacheRequests, kind, result).inc();
  }

  served(kind: MediaKind, bytes: number): void {
    if (bytes > 0) this.child(this.servedBytes, kind).inc(bytes);
  }

  originFetch(kind: MediaKind, outcome: FetchOutcome, seconds: number, bytes: number): void {
    this.originFetches.inc({ kind, outcome });
    this.originFetchSeconds.observe({ kind, outcome }, seconds);
    if (bytes > 0) this.originBytes.inc({ kind }, bytes);
  }
}
