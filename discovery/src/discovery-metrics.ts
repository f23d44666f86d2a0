/**
 * Discovery's Prometheus metrics (`GET /metrics` on DISCOVERY_HTTP_PORT). No label names a
 * stream: the figures are totals over this origin's streams.
 */
import type { Counter, Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import { InternalApiBadAnswerError, InternalApiRefusedError, InternalApiUnavailableError } from '../../internal-api/src/internal-api-errors.js';

const REPORT_KINDS = ['register', 'end', 'withdraw'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
const REPORT_OUTCOMES = ['ok', 'refused', 'failed'] as const;
const API_ERRORS = ['unavailable', 'refused', 'bad_answer', 'other'] as const;
type ApiError = (typeof API_ERRORS)[number];
/** The reports a manifest write causes, whose lag is measured. */
const TIMED_REPORT_KINDS: readonly ReportKind[] = ['register', 'end'];

/** What the gauges read when scraped. */
export interface DiscoveryMetricSources {
  /** Streams registered (or being registered) with the API. */
  liveStreams(): number;
  /** False from a failed report until the next one the API answers. */
  apiReachable(): boolean;
}

export class DiscoveryMetrics extends ServiceMetrics {
  private readonly reports: Counter<'kind' | 'outcome'>;
  private readonly apiErrors: Counter<'error'>;
  private readonly lag: Histogram<'kind'>;

  constructor(sources: DiscoveryMetricSources) {
    super();
    this.reports = this.counter(
      'discovery_reports_total',
      'Reports sent to the API, by kind (register: live or heartbeat, end, withdraw) and outcome (ok, refused: the API said no, failed: retried later).',
      ['kind', 'outcome'],
    );
    this.startAtZero(this.reports, { kind: REPORT_KINDS, outcome: REPORT_OUTCOMES });
    this.apiErrors = this.counter(
      'discovery_api_errors_total',
      'Failed reports by error: unavailable (no answer, timeout, 5xx), refused (4xx), bad_answer (not the contract), other.',
      ['error'],
    );
    this.startAtZero(this.apiErrors, { error: API_ERRORS });
    this.lag = this.histogram(
      'discovery_report_lag_seconds',
      "Time from the manifest write that made a stream live or ended it (the file's mtime) to the API accepting the report.",
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ['kind'],
    );
    this.startAtZero(this.lag, { kind: TIMED_REPORT_KINDS });
    this.gauge('discovery_live_streams', 'Streams registered with the API as live from this origin.', (gauge) => gauge.set(sources.liveStreams()));
    this.gauge('discovery_api_reachable', '0 from a failed report until the API answers again, else 1.', (gauge) =>
      gauge.set(sources.apiReachable() ? 1 : 0),
    );
  }

  /** A report the API accepted; `writtenAt` (ms since the epoch) when a manifest write caused it. */
  reported(kind: ReportKind, writtenAt: number | undefined, now: number): void {
    this.child(this.reports, kind, 'ok').inc();
    if (writtenAt !== undefined) this.lag.labels(kind).observe(Math.max(0, now - writtenAt) / 1000);
  }

  reportFailed(kind: ReportKind, error: unknown): void {
    this.child(this.reports, kind, error instanceof InternalApiRefusedError ? 'refused' : 'failed').inc();
    this.child(this.apiErrors, apiErrorOf(error)).inc();
  }
}

function apiErrorOf(error: unknown): ApiError {
  if (error instanceof InternalApiUnavailableError) return 'unavailable';
  if (error instanceof InternalApiRefusedError) return 'refused';
  if (error instanceof InternalApiBadAnswerError) return 'bad_answer';
  return 'other';
}
