import { Type } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Logger } from '../../service-kit/src/logger.js';
import { ApiClient, type LiveViewerCounts } from './api-client.js';
import { readEdgeCacheSettings, type EdgeCacheSettings } from './cache-settings.js';
import { Coalescer } from './coalesced-fetch.js';
import { EdgeMetrics, type RequestKind } from './edge-metrics.js';
import {
  BadPathError,
  BadRequestError,
  EdgeError,
  ErrorBody,
  InternalError,
  NotFoundError,
  OriginBadAnswerError,
  OriginTimeoutError,
  OriginUnreachableError,
} from './errors.js';
import { FailoverFetcher } from './failover-fetcher.js';
import { MediaCache, type CachedMedia } from './media-cache.js';
import { MediaDelivery } from './media-delivery.js';
import { OriginClient, type OriginFetcher } from './origin-client.js';
import { RouteResolver, type RouteLookup } from './route-resolver.js';
import { LiveViewerCache } from './live-viewer-cache.js';
import { PlaybackGuard } from './playback-guard.js';
import { withPlaybackToken } from './playlist-token.js';
import { viewerSessionId, ViewerSessions, type ViewerReporter } from './viewer-sessions.js';
import type { EdgeSettings } from './settings.js';
import { classifyPath, mediaKindOf, pathOf, STREAM_NAME } from './stream-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request asked for, as counted in edge_requests_total. */
    mediaKind: RequestKind;
  }
}

export interface EdgeAppOptions {
  settings: EdgeSettings;
  /** Where routes come from; defaults to the HTTP API at `settings.apiUrl`, closed with the app. */
  routeLookup?: RouteLookup;
  /** Where viewer sightings go and live counts come from; defaults to the HTTP API too. */
  viewerApi?: ViewerReporter & LiveViewerCounts;
  /** Without a logger the app logs nothing. */
  logger?: Logger;
  /** The media cache's settings; defaults to the EDGE_CACHE_* variables of the environment. */
  cacheSettings?: EdgeCacheSettings;
  /**
   * The clock of the route cache, the stale window and the media cache; defaults to Date.now
   * (tests move their own).
   */
  now?: () => number;
}

const PREFLIGHT_MAX_AGE_S = 86_400;
/** The API's bounds on one sightings batch (api/src/routes/internal/viewer-counts.ts). */
const MAX_SESSIONS_PER_BATCH = 10_000;
const MAX_STREAMS_PER_BATCH = 1_000;
/** As the API's default VIEWER_IDLE_SECONDS: a session unseen this long stopped watching. */
const VIEWER_IDLE_MS = 30_000;
const MAX_LIVE_SESSIONS = 1_000_000;

const errorResponses = {
  400: ErrorBody,
  404: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  416: ErrorBody,
  499: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};

/**
 * The edge: `GET|HEAD /<stream>/<file>` is served from its cache, or fetched once from the origin
 * that holds the stream (over keep-alive connections) for every viewer waiting for it. Which
 * origin that is comes from the route resolver. `GET /metrics` for Prometheus.
 */
export async function buildApp(options: EdgeAppOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const loggerInstance: FastifyBaseLogger | undefined = options.logger?.child(
    {},
    { serializers: { req: requestSummary } },
  );
  const app = Fastify({
    loggerInstance,
    childLoggerFactory: requestLogger,
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, new BadRequestError(error.message));
    },
  });

  let { routeLookup, viewerApi } = options;
  if (!routeLookup || !viewerApi) {
    const apiClient = new ApiClient({
      apiUrl: settings.apiUrl,
      timeoutMs: settings.apiTimeoutMs,
      connections: settings.apiConnections,
    });
    app.addHook('onClose', () => apiClient.close());
    routeLookup ??= apiClient;
    viewerApi ??= apiClient;
  }
  const resolver = new RouteResolver(routeLookup, {
    cacheMs: settings.routeCacheMs,
    notLiveCacheMs: settings.routeNotLiveCacheMs,
    staleMs: settings.routeStaleMs,
    maxEntries: settings.routeCacheMaxEntries,
    failoverMs: settings.originFailoverMs,
    apiRecoveryMs: settings.routeApiRecoveryMs,
    log: app.log.child({ component: 'route-resolver' }),
    now: options.now,
  });
  const originClient = new OriginClient({
    timeoutMs: settings.upstreamTimeoutMs,
    connectTimeoutMs: settings.upstreamConnectTimeoutMs,
    connections: settings.upstreamConnections,
    keepAliveMs: settings.upstreamKeepAliveMs,
  });
  app.addHook('onClose', () => originClient.close());
  const origins: OriginFetcher = new FailoverFetcher(originClient, resolver);

  const cacheSettings = options.cacheSettings ?? readEdgeCacheSettings(process.env);
  const now = options.now ?? Date.now;
  const cache = new MediaCache({
    maxBytes: cacheSettings.maxBytes,
    maxObjectBytes: cacheSettings.maxObjectBytes,
    notFoundMs: cacheSettings.notFoundCacheMs,
    notFoundEntries: cacheSettings.notFoundCacheEntries,
    now,
  });
  const coalescer = new Coalescer<CachedMedia>({
    fetcher: origins,
    maxObjectBytes: cacheSettings.maxObjectBytes,
    timeoutMs: settings.upstreamTimeoutMs,
  });
  const guard = new PlaybackGuard({ signingKey: settings.playbackSigningKey, now });
  const viewers = new ViewerSessions({
    reporter: viewerApi,
    intervalMs: settings.viewerReportIntervalMs,
    maxSessionsPerBatch: MAX_SESSIONS_PER_BATCH,
    maxStreamsPerBatch: MAX_STREAMS_PER_BATCH,
    idleMs: VIEWER_IDLE_MS,
    maxLiveSessions: MAX_LIVE_SESSIONS,
    log: app.log.child({ component: 'viewer-sessions' }),
  });
  // After fastify drained the requests in flight: their sightings go in the last batch.
  app.addHook('onClose', () => viewers.close());
  const metrics = new EdgeMetrics({
    cacheBytes: () => cache.bytes(),
    cacheEntries: () => cache.entries(),
    notFoundEntries: () => cache.notFoundEntries(),
    fetchesInFlight: () => coalescer.size(),
    liveViewers: () => viewers.liveSessions(),
  });
  const media = new MediaDelivery({ cache, coalescer, metrics, settings: cacheSettings, now });
  const liveCounts = new LiveViewerCache(viewerApi, { cacheMs: settings.viewsCacheMs, now });

  // Callback-style hooks: every request runs them, and an async hook costs a promise each.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('access-control-allow-origin', '*');
    done();
  });
  app.decorateRequest('mediaKind', 'other');
  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.mediaKind, reply.statusCode);
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const edgeError = toEdgeError(error);
    // A request sharing the app's logger (see requestLogger) gets its reqId here, where it is needed.
    const log = request.log === app.log ? app.log.child({ reqId: request.id }) : request.log;
    if (edgeError instanceof InternalError) log.error({ err: error }, 'unexpected error');
    else if (edgeError.statusCode >= 500) {
      // Expected failures (API or origin down) are logged in one line, without a stack.
      log.warn({ code: edgeError.code, origin: originOf(edgeError), cause: causeOf(edgeError) }, edgeError.message);
    }
    sendError(reply, edgeError);
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new NotFoundError(request.method, pathOf(request.url)));
  });

  app.get(
    '/health',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return metrics.text();
  });

  // Seed 004's public live count, like Cloudflare's `/<video>/views`: no token, any page.
  app.get<{ Params: { stream: string } }>(
    '/:stream/views',
    {
      schema: {
        params: Type.Object({ stream: Type.String({ pattern: STREAM_NAME.source }) }),
        response: { 200: Type.Object({ liveViewers: Type.Integer({ minimum: 0 }) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', `public, max-age=${Math.max(1, Math.round(settings.viewsCacheMs / 1000))}`);
      return { liveViewers: await liveCounts.get(request.params.stream) };
    },
  );

  app.options('/*', async (_request, reply) => {
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'Range, If-Modified-Since, If-None-Match')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    schema: { response: errorResponses },
    handler: async (request, reply) => {
      const verdict = classifyPath(request.url);
      if (verdict.kind === 'refused') throw new BadPathError(pathOf(request.url), verdict.reason);
      if (verdict.kind === 'not-media') throw new NotFoundError(request.method, pathOf(request.url));

      request.mediaKind = mediaKindOf(verdict.file);
      const route = await resolver.resolve(verdict.stream);
      const { origin, referer } = request.headers;
      const { token } = guard.admit(verdict.stream, route.playback, {
        token: tokenOf(request.query),
        page: origin ?? referer,
      });
      const cors = guard.corsOrigin(route.playback, origin);
      if (cors !== '*') {
        reply.header('vary', 'origin');
        if (cors === undefined) reply.removeHeader('access-control-allow-origin');
        else reply.header('access-control-allow-origin', cors);
      }
      viewers.seen(verdict.stream, viewerSessionId(verdict.stream, request.ip, request.headers['user-agent']));
      return media.serve(
        {
          stream: verdict.stream,
          file: verdict.file,
          route,
          method: request.method === 'HEAD' ? 'HEAD' : 'GET',
          range: request.headers.range,
          ifRange: joined(request.headers['if-range']),
          ifNoneMatch: request.headers['if-none-match'],
          viewerLeft: () => abortWhenViewerLeaves(request, reply),
          rewritePlaylist: token === undefined ? undefined : (text) => withPlaybackToken(text, token),
        },
        reply,
      );
    },
  });

  return app;
}

function sendError(reply: FastifyReply, error: EdgeError): void {
  reply
    .code(error.statusCode)
    .header('access-control-allow-origin', '*')
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .headers(error.replyHeaders)
    .send(error.toBody());
}

function toEdgeError(error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && error instanceof Error) {
    return new BadRequestError(error.message);
  }
  return new InternalError();
}

function originOf(error: EdgeError): string | undefined {
  const fromOrigin =
    error instanceof OriginUnreachableError || error instanceof OriginTimeoutError || error instanceof OriginBadAnswerError;
  return fromOrigin ? error.origin : undefined;
}

/** The innermost cause's message, e.g. "connect ECONNREFUSED 10.0.0.1:8080". */
function causeOf(error: Error): string | undefined {
  let inner: unknown = error.cause;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : undefined;
}

/**
 * Aborted when the viewer's connection closes before its answer was sent in full, so its wait for
 * an origin fetch is given up at once (and the fetch itself when nobody else waits for it). Made
 * only for a request that waits (a cache hit needs none); one that already left is aborted at once.
 */
function abortWhenViewerLeaves(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const req = request.raw;
  const res = reply.raw;
  const leave = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  if (res.destroyed || req.errored) leave();
  else {
    // The connection closed while this answer was being sent...
    res.once('close', leave);
    // ...or while it waited behind earlier pipelined answers: node destroys those requests with
    // an error and never closes their responses.
    req.once('close', () => {
      if (req.errored) leave();
    });
  }
  return controller.signal;
}

/** The `token` query parameter (the first, if repeated). */
function tokenOf(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.token;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** A request header as one string (repeated ones joined as HTTP allows). */
function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Levels at which fastify's per-request lines ("incoming request", "request completed") are not written. */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * The logger of one request. A pino child per request costs about a quarter of a cache hit's
 * time; it only serves fastify's per-request lines, so above `info` every request shares the
 * app's logger (the error handler adds the reqId to the lines it writes).
 */
const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  QUIET_LEVELS.has(logger.level) ? logger : logger.child(bindings, options);

/** Logged instead of the raw request: the query string may carry a viewer's token. */
function requestSummary(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, path: pathOf(request.url), remoteAddress: request.ip };
}
