import type { IncomingHttpHeaders } from 'node:http';
import { Type } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../../service-kit/src/logger.js';
import { ApiRouteClient } from './api-route-client.js';
import {
  BadPathError,
  BadRequestError,
  ClientClosedError,
  EdgeError,
  ErrorBody,
  InternalError,
  NotFoundError,
  OriginTimeoutError,
  OriginUnreachableError,
} from './errors.js';
import { FailoverFetcher } from './failover-fetcher.js';
import { OriginClient, type OriginFetcher, type OriginResponse } from './origin-client.js';
import { RouteResolver, type RouteLookup } from './route-resolver.js';
import type { EdgeSettings } from './settings.js';
import { classifyPath, pathOf } from './stream-path.js';

export interface EdgeAppOptions {
  settings: EdgeSettings;
  /** Where routes come from; defaults to the HTTP API at `settings.apiUrl`, closed with the app. */
  routeLookup?: RouteLookup;
  /** Without a logger the app logs nothing. */
  logger?: Logger;
  /** The clock of the route cache and of the stale window; defaults to Date.now (tests move their own). */
  now?: () => number;
}

/** Request headers passed on to the origin; cookies, credentials and the rest stay at the edge. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'range',
  'user-agent',
] as const;

/** Origin response headers passed on to players; `server`, cookies and the like are dropped. */
const FORWARDED_RESPONSE_HEADERS = [
  'accept-ranges',
  'age',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'etag',
  'expires',
  'last-modified',
  'vary',
] as const;

const PREFLIGHT_MAX_AGE_S = 86_400;

const errorResponses = {
  400: ErrorBody,
  404: ErrorBody,
  499: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};

/**
 * The edge: `GET|HEAD /<stream>/<file>` is proxied to the origin that holds the stream, over
 * keep-alive connections. Which origin that is comes from the route resolver.
 */
export async function buildApp(options: EdgeAppOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const loggerInstance: FastifyBaseLogger | undefined = options.logger?.child(
    {},
    { serializers: { req: requestSummary } },
  );
  const app = Fastify({
    loggerInstance,
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, new BadRequestError(error.message));
    },
  });

  let routeLookup = options.routeLookup;
  if (!routeLookup) {
    const apiClient = new ApiRouteClient({
      apiUrl: settings.apiUrl,
      timeoutMs: settings.apiTimeoutMs,
      connections: settings.apiConnections,
    });
    app.addHook('onClose', () => apiClient.close());
    routeLookup = apiClient;
  }
  const resolver = new RouteResolver(routeLookup, {
    cacheMs: settings.routeCacheMs,
    notLiveCacheMs: settings.routeNotLiveCacheMs,
    staleMs: settings.routeStaleMs,
    maxEntries: settings.routeCacheMaxEntries,
    failoverMs: settings.originFailoverMs,
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

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });

  app.setErrorHandler((error, request, reply) => {
    const edgeError = toEdgeError(error);
    if (edgeError instanceof InternalError) request.log.error({ err: error }, 'unexpected error');
    else if (edgeError.statusCode >= 500) {
      // Expected failures (API or origin down) are logged in one line, without a stack.
      request.log.warn({ code: edgeError.code, origin: originOf(edgeError), cause: causeOf(edgeError) }, edgeError.message);
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

      const viewerLeft = abortWhenViewerLeaves(request, reply);
      const route = await resolver.resolve(verdict.stream);
      const answer = await origins.fetch({
        stream: verdict.stream,
        origin: route.origin,
        method: request.method === 'HEAD' ? 'HEAD' : 'GET',
        // The upstream path is rebuilt from the validated parts, never copied from the request.
        path: `/${verdict.stream}/${verdict.file}${queryOf(request.url)}`,
        headers: { ...pick(request.headers, FORWARDED_REQUEST_HEADERS), 'x-forwarded-for': request.ip },
        signal: viewerLeft,
      });
      if (viewerLeft.aborted) {
        answer.body.destroy();
        throw new ClientClosedError(verdict.stream);
      }
      return relay(reply, answer);
    },
  });

  return app;
}

function sendError(reply: FastifyReply, error: EdgeError): void {
  reply
    .code(error.statusCode)
    .header('access-control-allow-origin', '*')
    .header('content-type', 'application/json; charset=utf-8')
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
  return error instanceof OriginUnreachableError || error instanceof OriginTimeoutError ? error.origin : undefined;
}

/** The innermost cause's message, e.g. "connect ECONNREFUSED 10.0.0.1:8080". */
function causeOf(error: Error): string | undefined {
  let inner: unknown = error.cause;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : undefined;
}

/** Sends the origin's answer on: its status, the headers players need, the body as it arrives. */
function relay(reply: FastifyReply, answer: OriginResponse): FastifyReply {
  return reply
    .code(answer.statusCode)
    .headers(pick(answer.headers, FORWARDED_RESPONSE_HEADERS))
    .send(answer.body);
}

/**
 * Aborted when the viewer's connection closes before its answer was sent in full, so the origin
 * request (or, later, the wait for it) is given up at once.
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

/** The raw query string of a request target, with its `?`, or ''. */
function queryOf(rawUrl: string): string {
  const query = rawUrl.indexOf('?');
  return query === -1 ? '' : rawUrl.slice(query);
}

/** The named headers that are present, each as one string (repeated ones joined as HTTP allows). */
function pick(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return picked;
}

/** Logged instead of the raw request: the query string may carry a viewer's token. */
function requestSummary(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, path: pathOf(request.url), remoteAddress: request.ip };
}
