import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../errors.js';

export interface HealthRoutesOptions {
  /** Resolves when the route store answers; rejects with StoreUnavailableError otherwise. */
  store: { ping(): Promise<void> };
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { store }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness and readiness: ok when the route store (Redis) answers PING',
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
          503: ErrorBody,
        },
      },
    },
    async () => {
      await store.ping();
      return { status: 'ok' as const };
    },
  );
};
