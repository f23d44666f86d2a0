/**
 * The API's Prometheus metrics, one registry for both listeners (the `listener` label tells them
 * apart), served on the internal listener's `GET /metrics`. Labels stay bounded: a route is its
 * pattern (`/v1/streams/:stream_id`), never the path asked for, and a request no route matched is
 * `unmatched`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { ServiceMetrics } from '../../service-kit/src/service-metrics.js';
import { ForbiddenError, PublishDeniedError, StoreUnavailableError, UnauthorizedError } from './errors.js';

export type Listener = 'public' | 'internal';

/**
 * Why a request was refused for who sent it: a missing or wrong API token (public listener) or
 * INTERNAL_TOKEN (internal listener), a token without the right (`forbidden`), a stream key or
 * name that may not publish (`stream_key_denied`, on `/authorize`).
 */
export type AuthFailure =
  | 'api_token_missing'
  | 'api_token_invalid'
  | 'internal_token_missing'
  | 'internal_token_invalid'
  | 'forbidden'
  | 'stream_key_denied';

/** The auth failures each listener can have (admin-only routes are public ones; /authorize is internal). */
const AUTH_FAILURES_BY_LISTENER: Record<Listener, readonly AuthFailure[]> = {
  public: ['api_token_missing', 'api_token_invalid', 'forbidden'],
  internal: ['internal_token_missing', 'internal_token_invalid', 'stream_key_denied'],
};

/** Where the recording quota stopped a recording: at a publish (not recorded) or at a report (closed early). */
export const QUOTA_STOPS = ['publish', 'report'] as const;
export type QuotaStop = (typeof QUOTA_STOPS)[number];

const REDIS_ERROR_KINDS = ['request', 'connection'] as const;
type RedisErrorKind = (typeof REDIS_ERROR_KINDS)[number];

/** The kind of auth failure `error` is, if it is one. */
export function authFailureOf(error: unknown): AuthFailure | undefined {
  if (error instanceof UnauthorizedError) {
    return `${error.credential === 'internalToken' ? 'internal_token' : 'api_token'}_${error.reason}`;
  }
  if (error instanceof ForbiddenError) return 'forbidden';
  if (error instanceof PublishDeniedError) return 'stream_key_denied';
  return undefined;
}

export class ApiMetrics extends ServiceMetrics {
  private readonly requests: Counter<'listener' | 'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'listener' | 'method' | 'route' | 'status'>;
  private readonly authFailures: Counter<'listener' | 'kind'>;
  private readonly redisErrors: Counter<'kind'>;
  private readonly quotaStops: Counter<'at'>;
  private readonly staleVideos: Counter;

  /** `redisReady`: whether the Redis client is connected now. */
  constructor(redisReady: () => boolean) {
    super();
    const labels = ['listener', 'method', 'route', 'status'] as const;
    this.requests = this.counter('api_requests_total', 'Requests answered, by listener, method, route pattern and HTTP status.', labels);
    this.durations = this.histogram(
      'api_request_duration_seconds',
      'Time from a request to the end of its answer, by listener, method, route pattern and HTTP status.',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      labels,
    );
    this.authFailures = this.counter(
      'api_auth_failures_total',
      'Requests refused for their credentials, by listener and kind (api_token_missing, api_token_invalid, internal_token_missing, internal_token_invalid, forbidden, stream_key_denied).',
      ['listener', 'kind'],
    );
    for (const [listener, kinds] of Object.entries(AUTH_FAILURES_BY_LISTENER)) this.startAtZero(this.authFailures, { listener: [listener], kind: kinds });
    this.redisErrors = this.counter(
      'api_redis_errors_total',
      'Redis failures: request (a request answered 503 because a Redis command failed) and connection (a failed connection or reconnection attempt).',
      ['kind'],
    );
    this.startAtZero(this.redisErrors, { kind: REDIS_ERROR_KINDS });
    this.quotaStops = this.counter(
      'api_recording_quota_stops_total',
      "Recordings stopped by their owner's recording quota: at a publish (the session goes live unrecorded) or at a report (the video is closed early).",
      ['at'],
    );
    this.startAtZero(this.quotaStops, { at: QUOTA_STOPS });
    this.staleVideos = this.counter(
      'api_stale_videos_withdrawn_total',
      'Live-inprogress videos withdrawn because their origin stopped reporting them for VIDEO_REPORT_TIMEOUT_SECONDS.',
    );
    this.gauge('api_redis_up', '1 while the Redis client is connected and ready.', (gauge) => gauge.set(redisReady() ? 1 : 0));
  }

  /** onResponse: one answered request. */
  answered(listener: Listener, request: FastifyRequest, reply: FastifyReply): void {
    const labels = [listener, request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode)];
    this.child(this.requests, ...labels).inc();
    this.durations.labels(...labels).observe(reply.elapsedTime / 1000);
  }

  /** Every error answer goes through here before it is sent. */
  failed(listener: Listener, error: unknown): void {
    const auth = authFailureOf(error);
    if (auth) this.child(this.authFailures, listener, auth).inc();
    if (error instanceof StoreUnavailableError) this.child(this.redisErrors, 'request' satisfies RedisErrorKind).inc();
  }

  recordingQuotaStop(at: QuotaStop): void {
    this.child(this.quotaStops, at).inc();
  }

  staleVideosWithdrawn(count: number): void {
    this.staleVideos.inc(count);
  }

  redisConnectionError(): void {
    this.child(this.redisErrors, 'connection' satisfies RedisErrorKind).inc();
  }
}
