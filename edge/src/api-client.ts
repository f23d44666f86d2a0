import { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import { InternalApiError } from '../../internal-api/src/internal-api-errors.js';
import type { NoRoute, StreamRoute } from '../../internal-api/src/route-contract.js';
import { ApiRequestFailedError, RouteLookupError } from './errors.js';
import type { RouteAnswer, RouteLookup } from './route-resolver.js';
import type { VideoLookup } from './video-resolver.js';
import type { ViewerReporter } from './viewer-sessions.js';
import type { VideoLocation } from '../../internal-api/src/video-contract.js';

/** A stream's live viewer count across every edge (the API's `GET /streams/:name/views`). */
export interface LiveViewerCounts {
  liveViewers(stream: string): Promise<number>;
}

export interface ApiClientOptions {
  /** API_URL: the API's internal listener; may carry a path prefix. */
  apiUrl: string;
  /** INTERNAL_TOKEN */
  internalToken: string;
  /** API_TIMEOUT_MS: whole question, connecting included. */
  timeoutMs: number;
  /** API_CONNECTIONS: for route lookups; sightings and counts have connections of their own. */
  connections: number;
}

/**
 * What the edge asks the API, through the one internal API client: where a stream is, viewer
 * sightings, live viewer counts. Route lookups are on every viewer's path: the client keeps them
 * on their own connections, so a slow sightings batch never holds one up. Failures become the
 * edge's own errors: the route resolver falls back to a known route, the viewer counts to 0.
 */
export class ApiClient implements RouteLookup, VideoLookup, ViewerReporter, LiveViewerCounts {
  private readonly client: InternalApiClient;

  constructor(options: ApiClientOptions) {
    this.client = new InternalApiClient({
      apiUrl: options.apiUrl,
      token: options.internalToken,
      timeoutMs: options.timeoutMs,
      connections: options.connections,
    });
  }

  async lookup(stream: string): Promise<RouteAnswer | NoRoute> {
    const route = await this.client.lookupRoute(stream).catch((error: unknown) => {
      throw error instanceof InternalApiError ? new RouteLookupError(stream, error.message, { cause: error }) : error;
    });
    return typeof route === 'string' ? route : routeAnswer(stream, route);
  }

  async lookupVideo(uid: string): Promise<VideoLocation | null> {
    return this.client.lookupVideo(uid).catch((error: unknown) => {
      throw error instanceof InternalApiError ? new ApiRequestFailedError(error.request, error.reason, { cause: error }) : error;
    });
  }

  async reportViews(streams: Record<string, string[]>): Promise<void> {
    await this.client.reportViews(streams).catch((error: unknown) => {
      throw error instanceof InternalApiError ? new ApiRequestFailedError(error.request, error.reason, { cause: error }) : error;
    });
  }

  async liveViewers(stream: string): Promise<number> {
    return this.client.liveViewers(stream).catch((error: unknown) => {
      throw error instanceof InternalApiError ? new ApiRequestFailedError(error.request, error.reason, { cause: error }) : error;
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The answer as the resolver needs it; an ended stream is offered until its last origin's expiry. */
function routeAnswer(stream: string, route: StreamRoute): RouteAnswer {
  const ended = route.state === 'ended';
  const expiries = route.origins.map((origin) => Date.parse(origin.expires_at));
  if (ended && expiries.length === 0) throw new RouteLookupError(stream, 'the API answer for an ended stream lists no origin');
  return {
    host: route.host,
    origins: route.origins.map((origin) => origin.host),
    ended,
    endsAtMs: ended ? Math.max(...expiries) : undefined,
    playback: { requireSignedUrls: route.playback.require_signed_urls, allowedOrigins: route.playback.allowed_origins },
    liveVideoUid: route.live_video_uid ?? undefined,
  };
}
