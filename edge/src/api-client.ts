import { Pool, type Dispatcher } from 'undici';
import { bearerOf } from '../../internal-api/src/internal-token.js';
import { ApiRequestFailedError, RouteLookupError } from './errors.js';
import { OPEN_PLAYBACK, type PlaybackPolicy, type RouteAnswer, type RouteLookup } from './route-resolver.js';
import type { ViewerReporter } from './viewer-sessions.js';

/** A stream's live viewer count across every edge (the API's `GET /streams/:name/views`). */
export interface LiveViewerCounts {
  liveViewers(stream: string): Promise<number>;
}

export interface ApiClientOptions {
  /** API_URL, without a trailing slash; may carry a path prefix. */
  apiUrl: string;
  /** INTERNAL_TOKEN */
  internalToken: string;
  /** API_TIMEOUT_MS: whole question, connecting included. */
  timeoutMs: number;
  /** API_CONNECTIONS */
  connections: number;
}

/**
 * `host` or `host:port` (IPv6 in brackets). The value becomes `http://{host}/...`, so anything
 * that could smuggle in credentials, a path or another scheme is rejected.
 */
/** One batch of sightings a second and a few cached counts need no more. */
const VIEWER_CONNECTIONS = 4;

const ORIGIN_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?$/;

/**
 * The edge's one client of the API's internal routes, over a keep-alive pool: where a stream is
 * (`GET /streams/:name`), viewer sightings (`POST /views`) and live viewer counts
 * (`GET /streams/:name/views`).
 */
export class ApiClient implements RouteLookup, ViewerReporter, LiveViewerCounts {
  /** Route lookups: on every viewer's path, so nothing else may take their connections. */
  private readonly pool: Pool;
  /** Viewer sightings and counts: a slow answer there never delays a route lookup. */
  private readonly viewerPool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;

  constructor(private readonly options: ApiClientOptions) {
    const url = new URL(options.apiUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.authorization = bearerOf(options.internalToken);
    const poolOptions = {
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    this.pool = new Pool(url.origin, { ...poolOptions, connections: options.connections });
    this.viewerPool = new Pool(url.origin, { ...poolOptions, connections: VIEWER_CONNECTIONS });
  }

  async lookup(stream: string): Promise<RouteAnswer | 'not-live'> {
    try {
      const { statusCode, body } = await this.pool.request({
        method: 'GET',
        path: `${this.basePath}/streams/${encodeURIComponent(stream)}`,
        headers: { accept: 'application/json', authorization: this.authorization },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (statusCode !== 200 && statusCode !== 404) {
        await body.dump();
        throw new RouteLookupError(stream, `the API answered ${statusCode}`);
      }
      const json: unknown = await body.json().catch((error: unknown) => {
        throw new RouteLookupError(stream, `the API answered ${statusCode} without JSON`, { cause: error });
      });
      return statusCode === 404 ? notLive(stream, json) : routeAnswer(stream, json);
    } catch (error) {
      if (error instanceof RouteLookupError) throw error;
      throw new RouteLookupError(stream, describe(error), { cause: error });
    }
  }

  async reportViews(streams: Record<string, string[]>): Promise<void> {
    const request = 'POST /views';
    const { statusCode, body } = await this.send(request, {
      method: 'POST',
      path: `${this.basePath}/views`,
      headers: { 'content-type': 'application/json', authorization: this.authorization },
      body: JSON.stringify({ streams }),
    });
    await body.dump();
    if (statusCode !== 204 && statusCode !== 200) throw new ApiRequestFailedError(request, `the API answered ${statusCode}`);
  }

  async liveViewers(stream: string): Promise<number> {
    const request = 'GET /streams/:name/views';
    const { statusCode, body } = await this.send(request, {
      method: 'GET',
      path: `${this.basePath}/streams/${encodeURIComponent(stream)}/views`,
      headers: { accept: 'application/json', authorization: this.authorization },
    });
    const json: unknown = await body.json().catch(() => undefined);
    const count = isObject(json) ? json.liveViewers : undefined;
    if (statusCode !== 200 || typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new ApiRequestFailedError(request, `the API answered ${statusCode} without a count`);
    }
    return count;
  }

  private async send(request: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'signal'>): Promise<Dispatcher.ResponseData> {
    try {
      return await this.viewerPool.request({ ...options, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new ApiRequestFailedError(request, describe(error), { cause: error });
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.viewerPool.close()]);
  }
}

/** The API's error code for a stream no origin has reported (api/src/errors.ts). */
const STREAM_NOT_LIVE_CODE = 'LIVE_ERR_STREAM_NOT_LIVE';

/**
 * Only the API's own "not live" error counts: a 404 of another shape (a wrong API_URL prefix, a
 * proxy in between) must not make every stream look offline.
 */
function notLive(stream: string, json: unknown): 'not-live' {
  if (isObject(json) && isObject(json.error) && json.error.code === STREAM_NOT_LIVE_CODE) return 'not-live';
  throw new RouteLookupError(stream, `the API answered 404 without the ${STREAM_NOT_LIVE_CODE} error`);
}

function routeAnswer(stream: string, json: unknown): RouteAnswer {
  if (!isObject(json) || typeof json.host !== 'string' || !ORIGIN_HOST.test(json.host)) {
    throw new RouteLookupError(stream, 'the API answer has no valid "host"');
  }
  const listed = (Array.isArray(json.origins) ? json.origins : []).filter(isObject);
  const origins = listed
    .map((origin) => origin.host)
    .filter((host): host is string => typeof host === 'string' && ORIGIN_HOST.test(host));
  const ended = json.state === 'ended';
  const expiries = listed.map((origin) => Date.parse(String(origin.expires_at))).filter(Number.isFinite);
  if (ended && expiries.length === 0) throw new RouteLookupError(stream, 'the API answer for an ended stream has no "expires_at"');
  return {
    host: json.host,
    origins,
    ended,
    endsAtMs: ended ? Math.max(...expiries) : undefined,
    playback: playbackPolicy(json.playback),
  };
}

/** Streams without a policy (open names, an older API) play openly. */
function playbackPolicy(json: unknown): PlaybackPolicy {
  if (!isObject(json)) return OPEN_PLAYBACK;
  const allowed = Array.isArray(json.allowed_origins) ? json.allowed_origins : [];
  return {
    requireSignedUrls: json.require_signed_urls === true,
    allowedOrigins: allowed.filter((pattern): pattern is string => typeof pattern === 'string'),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
