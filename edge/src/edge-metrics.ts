/** The edge's Prometheus metrics (`GET /metrics`), in a registry of the app's own. */
import type { Counter, Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import { FETCH_OUTCOMES, type FetchOutcome } from './coalesced-fetch.js';
import { MEDIA_KINDS, type MediaKind } from './stream-path.js';

/** `other`: /health, /metrics, refused and unknown paths. */
export type RequestKind = MediaKind | 'other';
const CACHE_RESULTS = ['hit', 'miss', 'coalesced'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

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
    this.requests = this.counter('edge_requests_total', 'Requests answered, by kind (playlist, segment, other) and HTTP status.', ['kind', 'status']);
    this.cacheRequests = this.counter(
      'edge_cache_requests_total',
      'Media requests by cache result: hit, miss (started an origin fetch) or coalesced (joined one).',
      ['kind', 'result'],
    );
    this.startAtZero(this.cacheRequests, { kind: MEDIA_KINDS, result: CACHE_RESULTS });
    this.servedBytes = this.counter('edge_served_bytes_total', 'Media body bytes handed to viewers.', ['kind']);
    this.originFetches = this.counter(
      'edge_origin_fetches_total',
      'Origin fetches by outcome (ok, not_found, oversize, bad_status, refused, truncated, unreachable, timeout, abandoned).',
      ['kind', 'outcome'],
    );
    this.startAtZero(this.originFetches, { kind: MEDIA_KINDS, outcome: FETCH_OUTCOMES });
    this.originFetchSeconds = this.histogram(
      'edge_origin_fetch_duration_seconds',
      'Time from an origin request to the end of its body (or its failure).',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ['kind', 'outcome'],
    );
    this.originBytes = this.counter('edge_origin_bytes_total', 'Body bytes of 200 answers received from origins.', ['kind']);
    this.gauge('edge_origin_fetches_in_flight', 'Origin fetches under way (each may serve many viewers).', (gauge) => gauge.set(sources.fetchesInFlight()));
    this.gauge(
      'edge_live_viewers',
      'Playback sessions this edge saw within the last 30 s (all streams; the API counts across edges).',
      (gauge) => gauge.set(sources.liveViewers()),
    );
    this.gauge('edge_cache_bytes', 'Bytes of playlists and segments held in the cache.', (gauge) => gauge.set(sources.cacheBytes()));
    this.gauge(
      'edge_cache_entries',
      'Entries held: media (playlists and segments) and not_found (origin 404s remembered).',
      (gauge) => {
        gauge.set({ type: 'media' }, sources.cacheEntries());
        gauge.set({ type: 'not_found' }, sources.notFoundEntries());
      },
      ['type'],
    );
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
