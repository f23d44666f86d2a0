import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serveMetrics, type ServiceMetrics } from '../../../service-kit/src/service-metrics.js';
import { hlsFileRoutes } from './hls-file-routes.js';
import { recordingRoutes, type RecordingRoutesOptions } from './recording-routes.js';
import { thumbnailRoutes, type ThumbnailRoutesOptions } from './thumbnail-routes.js';
import type { LowLatencyOutputs } from './llhls-routes.js';
import { ORIGIN_SECRET_HEADER, matchesOriginSecret } from '../../../service-kit/src/origin-secret.js';
import { EdgeSecretRequiredError, InternalError, InvalidPathError, RouteNotFoundError, errorBodySchema, sendError } from './http-errors.js';

export interface HttpAppOptions {
  /** HLS_PATH: the folder of stream folders, served read-only. */
  hlsPath: string;
  /** LL-HLS outputs (HLS_LOW_LATENCY): `/<stream>/ll.m3u8` and its media, from memory. */
  lowLatency?: LowLatencyOutputs;
  /** Pino options (service-kit's `loggerOptions('origin')`), or false for none. Default false. */
  logger?: FastifyServerOptions['logger'];
  /** Live figures for operators and benchmarks, served as JSON on `GET /stats`. */
  stats?: () => Record<string, unknown>;
  /**
   * The conditions the origin must meet before it takes publishers and viewers, each true once
   * met; `GET /ready` answers 200 when all are. Default: none, always ready.
   */
  readiness?: () => Record<string, boolean>;
  /** True once the origin drains (SIGTERM): /ready answers 503 so load balancers send no new publishes. */
  draining?: () => boolean;
  /** Served on `GET /metrics` (Prometheus text), behind `metricsToken` when set. */
  metrics?: ServiceMetrics;
  /** METRICS_TOKEN: the bearer token a scrape must send; unset, /metrics is open. */
  metricsToken?: string;
  /**
   * ORIGIN_SECRET (and its previous value during a rotation): when any, every request but the
   * health checks (`/health`, `/ready`) and `/metrics` (its own token) must carry one in
   * `x-origin-secret`, or is answered 403.
   */
  originSecrets?: readonly string[];
  /** The recordings this origin holds, served at `/videos/<uid>/<file>`; without it none are. */
  recording?: RecordingRoutesOptions['recording'];
  /**
   * Thumbnails of those recordings (`/videos/<uid>/thumbnails/thumbnail.jpg`) and of live streams
   * (`/<stream>/thumbnails/thumbnail.jpg`); without them none are made.
   */
  thumbnails?: Omit<ThumbnailRoutesOptions, 'recording'>;
}

/** Longest path parameter the router accepts: a 128-character stream name fits with room to spare. */
const MAX_PARAM_LENGTH = 256;

const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** What answers without the edges' secret: health checks (load balancers) and /metrics (METRICS_TOKEN guards it). */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/**
 * The origin's HTTP face, for edges and players: `GET|HEAD /<stream>/<file>` below HLS_PATH,
 * `GET /health` (liveness: the process answers), `GET /ready` (readiness), `GET /metrics` (Prometheus), CORS for browsers playing straight from the origin. Every error is
 * `{ error: { code, message } }` (see http-errors.ts). server.ts owns listen and shutdown.
 */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Malformed percent-encoding and over-long names never reach a route. The URL is not echoed:
    // it may be huge.
    frameworkErrors: (error, _request, reply) => {
      const reason =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path segment is longer than ${MAX_PARAM_LENGTH} characters`
          : 'the path is not valid percent-encoded UTF-8';
      sendError(reply, new InvalidPathError(reason));
    },
  });

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  const originSecrets = options.originSecrets ?? [];
  if (originSecrets.length > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (OPEN_PATHS.has(request.url.split('?', 1)[0]!)) return;
      if (!matchesOriginSecret(originSecrets, request.headers[ORIGIN_SECRET_HEADER])) return sendError(reply, new EdgeSecretRequiredError());
    });
  }

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new RouteNotFoundError(request.method, request.url)),
  );

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    if (error.validation) {
      // The only validated input is the path parameters.
      const name = error.validation[0]?.instancePath.replace(/^\//, '');
      const value = (request.params as Record<string, string | undefined>)[name ?? ''];
      const what = name === 'file' ? 'playlist or segment name' : name === 'uid' ? 'video uid' : 'stream name';
      return sendError(
        reply,
        new InvalidPathError(value === undefined ? `${request.url} is not a valid path` : `${JSON.stringify(value)} is not a valid ${what}`),
      );
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, new InternalError());
  });

  // Browsers preflight requests with conditional or range headers; any origin may read.
  app.options('/*', async (request, reply) => {
    const requested = request.headers['access-control-request-headers'];
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
    if (requested) reply.header('access-control-allow-headers', requested);
    return reply.send();
  });

  app.get(
    '/health',
    {
      schema: {
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } },
          500: errorBodySchema,
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readiness = options.readiness ?? (() => ({}));
  app.get(
    '/ready',
    { schema: { response: { 200: readinessSchema(['ready']), 503: readinessSchema(['starting', 'draining']) } } },
    async (_request, reply) => {
      const checks = readiness();
      const status = options.draining?.() ? 'draining' : Object.values(checks).every(Boolean) ? 'ready' : 'starting';
      return reply
        .code(status === 'ready' ? 200 : 503)
        .header('cache-control', 'no-cache')
        .send({ status, checks });
    },
  );

  const stats = options.stats;
  if (stats) app.get('/stats', async () => stats());
  if (options.metrics) serveMetrics(app, options.metrics, { token: options.metricsToken });

  app.register(hlsFileRoutes, { hlsPath: options.hlsPath, lowLatency: options.lowLatency });
  if (options.recording) app.register(recordingRoutes, { recording: options.recording });
  if (options.thumbnails) app.register(thumbnailRoutes, { ...options.thumbnails, recording: options.recording ?? (() => undefined) });
  return app;
}

/** `{ status, checks: { <condition>: met } }`, the body of both answers of `GET /ready`. */
function readinessSchema(statuses: Array<'ready' | 'starting' | 'draining'>) {
  return {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { type: 'string', enum: statuses },
      checks: { type: 'object', additionalProperties: { type: 'boolean' } },
    },
  } as const;
}
