import { fastify, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import type { Logger } from '../../service-kit/src/logger.js';
import { handleError, handleNotFound, pathOf } from './error-handler.js';
import { closeRedis, createRedisClient, waitUntilReady } from './redis-client.js';
import { RouteStore } from './route-store.js';
import { authorizeRoutes } from './routes/authorize.js';
import { healthRoutes } from './routes/health.js';
import { streamRoutes } from './routes/streams.js';
import type { ApiSettings } from './settings.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export interface AppOptions extends Pick<ApiSettings, 'redisUrl' | 'redisTimeoutMs' | 'routeTtlSeconds' | 'allowedStreams'> {
  /** Request and app logs go here; omitted, the app logs nothing (tests). */
  logger?: Logger;
}

/** Logged request fields; the query string is left out because publishers may put a token in it. */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: pathOf(request.url),
    remoteAddress: request.ip,
  };
}

export function buildApp(options: AppOptions) {
  const app = fastify({
    loggerInstance: options.logger?.child({}, { serializers: { req: serializeRequest } }),
    // Every field is a string: a JSON number where a name is expected is a client bug, not a name.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const redis = createRedisClient({ url: options.redisUrl, timeoutMs: options.redisTimeoutMs, logger: app.log });
  app.decorate('redis', redis);
  // Give the first connection a moment so the first requests do not fail spuriously; the app
  // still starts (answering 503) when Redis is down, and connects once it is back.
  app.addHook('onReady', async () => {
    if (!(await waitUntilReady(redis, options.redisTimeoutMs))) app.log.warn('redis not ready at start-up');
  });
  // Runs after fastify stopped accepting and drained in-flight requests.
  app.addHook('onClose', () => closeRedis(redis));

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  const store = new RouteStore(redis, { ttlSeconds: options.routeTtlSeconds });
  app.register(healthRoutes, { store });
  app.register(authorizeRoutes, { allowedStreams: options.allowedStreams });
  app.register(streamRoutes, { store });
  return app;
}

export type App = ReturnType<typeof buildApp>;
