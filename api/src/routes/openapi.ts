import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OPENAPI_PATH } from '../openapi.js';

/** The generated OpenAPI document as JSON (the page at /docs reads the same document). */
export const openApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
};
