import { Type } from '@fastify/type-provider-typebox';
import http from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { MAX_BATCH_SESSIONS, MAX_BATCH_STREAMS } from '../../internal-api/src/viewer-contract.js';
import type { Logger } from '../../service-kit/src/logger.js';
import { LiveError } from '../../service-kit/src/live-error.js';
import { ApiClient, type LiveViewerCounts } from './api-client.js';
import { readEdgeCacheSettings, type EdgeCacheSettings } from './cache-settings.js';
import { Coalescer } from './coalesced-fetch.js';
import { serveMetrics } from '../../service-kit/src/service-metrics.js';
import { EdgeMetrics, type RequestKind } from './edge-metrics.js';
import { errorReply, logEdgeError, toEdgeError } from './error-reply.js';
import { ErrorBody, InvalidPathError, MalformedRequestError, RouteNotFoundError } from './errors.js';
import { FailoverFetcher } from './failover-fetcher.js';
import { MediaCache, type CachedMedia } from './media-cache.js';
import { MediaDelivery } from './media-delivery.js';
import { MediaHandler } from './media-handler.js';
import { OriginClient, type OriginFetcher } from './origin-client.js';
import { RouteResolver, type RouteLookup } from './route-resolver.js';
import { LiveViewerCache } from './live-viewer-cache.js';
import { PlaybackGuard } from './playback-guard.js';
import { ViewerSessions, type ViewerReporter } from './viewer-sessions.js';
import type { EdgeSettings } from './settings.js';
import { classifyPath, pathOf, STREAM_NAME } from './stream-path.js';
import { Lifecycle, lifecycleOf } from './lifecycle.js';
import { VideoResolver, type VideoLookup } from './video-resolver.js';

export interface EdgeAppOptions {
  settings: EdgeSettings;
  /** Where routes come from; defaults to the HTTP API at `settings.apiUrl`, closed with the app. */
  routeLookup?: RouteLookup;
  /** Where viewer sightings go and live counts come from; defaults to the HTTP API too. */
  viewerApi?: ViewerReporter & LiveViewerCounts;
  /** Where recorded videos are (`/videos/<uid>/…`); defaults to the HTTP API too. */
  videoLookup?: VideoLookup;
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
/** Idle keep-alive connections are closed after this (fastify's default for the servers it makes). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
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
 * origin that is comes from the route resolver. Those media requests are answered by the media
 * handler before fastify sees them; fastify serves the rest (`GET /metrics` for Prometheus,
 * health, views, preflights and the errors of other paths).
 */
export async function buildApp(options: EdgeAppOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const loggerInstance: FastifyBaseLogger | undefined = options.logger?.child(
    {},
    { serializers: { req: requestSummary } },
  );
  // Assigned once the app's parts exist; no request arrives before listen().
  let mediaHandler: MediaHandler | undefined;
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      const server = http.createServer((req, res) => {
        if (!mediaHandler?.handle(req, res)) fastifyHandler(req, res);
      });
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    loggerInstance,
    childLoggerFactory: requestLogger,
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, new MalformedRequestError(error.message));
    },
  });

  let { routeLookup, viewerApi, videoLookup } = options;
  if (!routeLookup || !viewerApi || !videoLookup) {
    const apiClient = new ApiClient({
      apiUrl: settings.apiUrl,
      internalToken: settings.internalToken,
      timeoutMs: settings.apiTimeoutMs,
      connections: settings.apiConnections,
    });
    app.addHook('onClose', () => apiClient.close());
    routeLookup ??= apiClient;
    viewerApi ??= apiClient;
    videoLookup ??= apiClient;
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
  const videos = new VideoResolver(videoLookup, {
    cacheMs: settings.routeCacheMs,
    notFoundCacheMs: settings.routeNotLiveCacheMs,
    staleMs: settings.routeStaleMs,
    maxEntries: settings.routeCacheMaxEntries,
    now: options.now,
  });
  const originClient = new OriginClient({
    timeoutMs: settings.upstreamTimeoutMs,
    connectTimeoutMs: settings.upstreamConnectTimeoutMs,
    connections: settings.upstreamConnections,
    keepAliveMs: settings.upstreamKeepAliveMs,
    originSecret: settings.originSecret,
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
  const guard = new PlaybackGuard({ signingKey: settings.playbackSigningKey, previousSigningKey: settings.previousPlaybackSigningKey, now });
  const viewers = new ViewerSessions({
    reporter: viewerApi,
    intervalMs: settings.viewerReportIntervalMs,
    // The API's bounds on one sightings batch.
    maxSessionsPerBatch: MAX_BATCH_SESSIONS,
    maxStreamsPerBatch: MAX_BATCH_STREAMS,
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
  const media = new MediaDelivery({
    cache,
    coalescer,
    metrics,
    settings: cacheSettings,
    blockingTimeoutMs: settings.upstreamBlockingTimeoutMs,
    now,
  });
  const liveCounts = new LiveViewerCache(viewerApi, { cacheMs: settings.viewsCacheMs, now });
  mediaHandler = new MediaHandler({ resolver, videos, guard, viewers, media, metrics, log: app.log });

  // Callback-style hooks: every request runs them, and an async hook costs a promise each.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('access-control-allow-origin', '*');
    done();
  });
  app.addHook('onResponse', (_request, reply, done) => {
    metrics.request('other', reply.statusCode);
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const edgeError = toEdgeError(error);
    // A request sharing the app's logger (see requestLogger) gets its reqId here, where it is needed.
    logEdgeError(request.log === app.log ? app.log.child({ reqId: request.id }) : request.log, edgeError, error);
    sendError(reply, edgeError);
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new RouteNotFoundError(request.method, pathOf(request.url)));
  });

  app.get(
    '/health',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  serveMetrics(app, metrics);

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

  // Seed 004's lifecycle of a live input (stream id) or a video uid, for players deciding what to show.
  app.get<{ Params: { id: string } }>(
    '/:id/lifecycle',
    {
      schema: {
        params: Type.Object({ id: Type.String({ pattern: STREAM_NAME.source }) }),
        response: { 200: Lifecycle, ...errorResponses },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-cache');
      return lifecycleOf(request.params.id, resolver, videos);
    },
  );

  app.options('/*', async (_request, reply) => {
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'Range, If-Modified-Since, If-None-Match')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
  });

  // What the media handler leaves: paths that are no media (404) or refused (400).
  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    schema: { response: errorResponses },
    handler: async (request) => {
      const verdict = classifyPath(request.url);
      if (verdict.kind === 'refused') throw new InvalidPathError(pathOf(request.url), verdict.reason);
      throw new RouteNotFoundError(request.method, pathOf(request.url));
    },
  });

  return app;
}

function sendError(reply: FastifyReply, error: LiveError): void {
  const { statusCode, headers, body } = errorReply(error);
  reply.code(statusCode).headers(headers).send(body);
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
