import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { fastify, type FastifyError, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import type { Logger } from '../../service-kit/src/logger.js';
import { serveMetrics } from '../../service-kit/src/service-metrics.js';
import { ApiMetrics, type Listener } from './api-metrics.js';
import { Authenticator } from './auth/authenticator.js';
import { internalTokenGuard } from './auth/internal-token-guard.js';
import { handleError, handleNotFound } from './error-handler.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { FallbackFiles } from './fallback/fallback-files.js';
import { FallbackUploader } from './fallback/fallback-uploader.js';
import { FallbackWorkArea } from './fallback/work-area.js';
import { DOCS_PREFIX, internalOpenApiOptions, publicOpenApiOptions } from './openapi.js';
import { OpenNames } from './publish/open-names.js';
import { PublishAuthorizer } from './publish/publish-authorizer.js';
import { RecordingQuota } from './recording-quota.js';
import { StaleVideoSweep } from './stale-video-sweep.js';
import { PublisherAudit } from './publish/publisher-audit.js';
import { closeRedis, createRedisClient, waitUntilReady } from './redis-client.js';
import { loggablePath } from './request-redaction.js';
import { TargetAddressPolicy } from './restream/target-address-policy.js';
import { healthRoutes } from './routes/health.js';
import { openApiRoutes } from './routes/openapi.js';
import { authorizeRoutes } from './routes/internal/authorize.js';
import { ingestHeartbeatRoutes } from './routes/internal/ingest-heartbeats.js';
import { liveRoutes } from './routes/internal/live-routes.js';
import { restreamRoutes } from './routes/internal/restream.js';
import { pullClaimRoutes } from './routes/internal/pulls.js';
import { PullStore } from './store/pull-store.js';
import { viewerCountRoutes } from './routes/internal/viewer-counts.js';
import { videoReportRoutes } from './routes/internal/videos.js';
import { v1Routes } from './routes/v1/v1-routes.js';
import type { ApiSettings } from './settings.js';
import { FallbackStore } from './store/fallback-store.js';
import { IngestStore } from './store/ingest-store.js';
import { PublisherLeaseStore } from './store/publisher-lease-store.js';
import { RestreamStatusStore } from './store/restream-status-store.js';
import { RestreamTargetStore } from './store/restream-target-store.js';
import { RouteStore } from './store/route-store.js';
import { DEFAULT_RECORDING, NOT_RECORDED, StreamStore } from './store/stream-store.js';
import { TokenStore } from './store/token-store.js';
import { UserStore } from './store/user-store.js';
import { VideoStore } from './store/video-store.js';
import { ViewerStore } from './store/viewer-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The one Redis client of both listeners' apps. */
    redis: Redis;
  }
}

export interface AppOptions extends Omit<ApiSettings, 'port' | 'host' | 'internalPort' | 'internalHost'> {
  /** Request and app logs go here; omitted, the app logs nothing (tests). */
  logger?: Logger;
  /**
   * Clock (unix ms) of creation times and of expiry kept in stored scores and fields (routes,
   * ingests, push statuses, viewer sightings) and of playback tokens; key TTLs are Redis's own.
   * Omitted: Date.now. Tests move it.
   */
  now?: () => number;
}

/**
 * Logged request fields: no headers (Authorization carries tokens), no query string
 * (`/authorize?name=` carries stream keys) and no path segment that looks like a key or token.
 */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: loggablePath(request.url),
    remoteAddress: request.ip,
  };
}

/**
 * An app without routes: logging, validation, the JSON error answers and the request metrics
 * both listeners share.
 */
function createApp(options: AppOptions, listener: Listener, metrics: ApiMetrics) {
  const app = fastify({
    loggerInstance: options.logger?.child({ listener }, { serializers: { req: serializeRequest } }),
    // Every field is a string: a JSON number where a name is expected is a client bug, not a name.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    metrics.failed(listener, error);
    handleError(error, request, reply);
  });
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.answered(listener, request, reply);
    done();
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * The API's two listeners over one Redis: the public one (API_PORT) answers only /v1, its docs,
 * /health and the dashboard's static files under /; the internal one (API_INTERNAL_PORT) answers
 * only the routes of the live path, each behind INTERNAL_TOKEN, /health and /metrics (both
 * listeners' figures). Neither answers the other's routes (404), so a deployment that exposes
 * API_PORT exposes nothing of the live path.
 */
export interface Api {
  publicApp: App;
  internalApp: App;
  /** Both apps ready; Redis was given a moment to connect. */
  ready(): Promise<void>;
  /** Stops both listeners and drains their requests, then quits Redis. */
  close(): Promise<void>;
}

export function buildApi(options: AppOptions): Api {
  // Read at each scrape, once the client below exists.
  const metrics: ApiMetrics = new ApiMetrics(() => redis.status === 'ready');
  const publicApp = createApp(options, 'public', metrics);
  const internalApp = createApp(options, 'internal', metrics);
  const redis = createRedisClient({ url: options.redisUrl, timeoutMs: options.redisTimeoutMs, logger: publicApp.log });
  redis.on('error', () => metrics.redisConnectionError());
  publicApp.decorate('redis', redis);
  internalApp.decorate('redis', redis);
  // Give the first connection a moment so the first requests do not fail spuriously; the app
  // still starts (answering 503) when Redis is down, and connects once it is back.
  publicApp.addHook('onReady', async () => {
    if (!(await waitUntilReady(redis, options.redisTimeoutMs))) publicApp.log.warn('redis not ready at start-up');
  });
  const now = options.now ?? Date.now;
  const routes = new RouteStore(redis, { ttlSeconds: options.routeTtlSeconds, now });
  const users = new UserStore(redis, { now });
  const tokens = new TokenStore(redis, { now });
  const streams = new StreamStore(redis, { now });
  const leases = new PublisherLeaseStore(redis, options.publishLeaseSeconds);
  const ingests = new IngestStore(redis, { ttlSeconds: options.ingestTtlSeconds, now });
  const openNames = new OpenNames(options.allowedStreams);
  const targets = new RestreamTargetStore(redis, { now });
  const statuses = new RestreamStatusStore(redis, { ttlSeconds: options.restreamStatusTtlSeconds, now });
  const fallbacks = new FallbackStore(redis, { now });
  const pulls = new PullStore(redis, { leaseSeconds: options.pullLeaseSeconds, now });
  const addressPolicy = new TargetAddressPolicy(options.allowPrivateTargets);
  const viewers = new ViewerStore(redis, { idleSeconds: options.viewerIdleSeconds, now });
  const videos = new VideoStore(redis, { tombstoneSeconds: options.videoTombstoneSeconds, now });
  const quota = new RecordingQuota(users, videos, options.recordingQuotaBytes);
  const staleVideos = new StaleVideoSweep(videos, options.videoReportTimeoutSeconds * 1000, internalApp.log, (count) => metrics.staleVideosWithdrawn(count));
  internalApp.addHook('onReady', async () => staleVideos.start());
  internalApp.addHook('onClose', async () => staleVideos.stop());
  const fallbackFiles = new FallbackFiles(options.fallbackPath);
  const fallbackWorkArea = new FallbackWorkArea(options.fallbackPath);
  publicApp.addHook('onReady', async () => {
    const removed = await fallbackWorkArea.sweepLeftovers();
    if (removed > 0) publicApp.log.info({ removed }, 'fallback uploads left by a stopped API removed');
  });
  const platformUrls = options.platformIngestUrls;

  // The OpenAPI documents collect routes as they are added: register them first, at the root.
  internalApp.register(swagger, internalOpenApiOptions);
  internalApp.register(healthRoutes, { store: routes });
  // Without INTERNAL_TOKEN: a scraper gets figures, never the power to authorize or route.
  serveMetrics(internalApp, metrics);
  // Everything else on the internal listener needs INTERNAL_TOKEN, its document included.
  internalApp.register(async (live) => {
    live.addHook('onRequest', internalTokenGuard(options.internalToken, options.previousInternalToken));
    live.register(openApiRoutes);
    live.register(authorizeRoutes, { authorizer: new PublishAuthorizer(streams, leases, openNames, options.recordOpenNames ? DEFAULT_RECORDING : NOT_RECORDED, quota), metrics });
    live.register(ingestHeartbeatRoutes, {
      ingests,
      leases,
      audit: new PublisherAudit(streams, leases, openNames),
      restream: targets,
    });
    live.register(liveRoutes, { store: routes, streams, openNames, videos });
    live.register(viewerCountRoutes, { viewers });
    live.register(videoReportRoutes, { videos, streams, openNames, quota, metrics });
    live.register(restreamRoutes, { targets, statuses, fallbacks, files: fallbackFiles, openNames, platformUrls });
    live.register(pullClaimRoutes, { pulls, streams, leaseSeconds: options.pullLeaseSeconds });
  });

  publicApp.register(swagger, publicOpenApiOptions);
  publicApp.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  publicApp.register(openApiRoutes);
  publicApp.register(healthRoutes, { store: routes });
  publicApp.register(dashboardRoutes, {
    root: options.dashboardPath,
    publicPlaybackUrl: options.publicPlaybackUrl,
    ingestWebSocketUrl: options.ingestWebSocketUrl,
  });
  publicApp.register(v1Routes, {
    prefix: '/v1',
    authenticator: new Authenticator(tokens, [options.adminToken, options.previousAdminToken].filter((token): token is string => token !== undefined)),
    users,
    tokens,
    streams,
    routes,
    ingests,
    leases,
    viewers,
    videos,
    quota,
    publicPlaybackUrl: options.publicPlaybackUrl,
    publicSrtUrl: options.publicSrtUrl,
    playbackSigningKey: options.playbackSigningKey,
    now,
    limits: {
      maxStreamsPerUser: options.maxStreamsPerUser,
      maxTokensPerUser: options.maxTokensPerUser,
      abrLadderBounds: options.abrLadderBounds,
    },
    pull: { pulls, addressPolicy },
    restream: {
      targets,
      statuses,
      addressPolicy,
      platformUrls,
      maxTargets: options.restreamMaxTargets,
    },
    fallback: {
      store: fallbacks,
      files: fallbackFiles,
      uploader: new FallbackUploader({
        workArea: fallbackWorkArea,
        files: fallbackFiles,
        store: fallbacks,
        spool: {
          maxBytes: options.fallbackMaxBytes,
          idleSeconds: options.fallbackUploadIdleSeconds,
          timeoutSeconds: options.fallbackUploadTimeoutSeconds,
        },
        maxBytesPerUser: options.fallbackMaxBytesPerUser,
        maxUploads: options.fallbackMaxUploads,
        maxUploadsPerUser: options.fallbackMaxUploadsPerUser,
        maxConversions: options.fallbackMaxConversions,
        maxDurationS: options.fallbackMaxDurationSeconds,
        maxResolution: options.fallbackMaxResolution,
        keyframeSeconds: options.fallbackKeyframeSeconds,
        timeoutMs: options.fallbackConvertTimeoutSeconds * 1000,
      }),
    },
  });

  return {
    publicApp,
    internalApp,
    ready: async () => {
      await Promise.all([publicApp.ready(), internalApp.ready()]);
    },
    close: async () => {
      // Each close stops accepting and waits for its in-flight requests; Redis goes last.
      await Promise.all([publicApp.close(), internalApp.close()]);
      await closeRedis(redis);
    },
  };
}
