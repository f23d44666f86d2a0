import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';

/** Where the generated document and the browsable page are served. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * @fastify/swagger options: the document is generated from the route schemas. /v1 routes are
 * tagged `v1` and need the bearer token; the others are the internal routes that origins,
 * discovery, the edge and nginx-rtmp call.
 */
export const openApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'livestack API',
      version: '1.0.0',
      description:
        'Managed live streams (the /v1 API of seed 000) and the internal routes of the live path. ' +
        'Every error answers {"error": {"code": "LIVE_ERR_…", "message": "…"}}.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (lst_…), or ADMIN_TOKEN for the admin' },
      },
    },
    tags: [
      { name: 'v1', description: 'Public API: send Authorization: Bearer <token>' },
      { name: 'internal', description: 'Called by origins, discovery, the edge and nginx-rtmp; keep off the internet' },
    ],
  },
  transform: ({ schema, url }) => {
    const v1 = url === '/v1' || url.startsWith('/v1/');
    // A route that streams its raw body (a video upload) lists what it `consumes` instead of a body schema.
    const rawBody = schema.consumes && !schema.body ? { body: { type: 'string', format: 'binary' } } : {};
    return {
      schema: { ...schema, ...rawBody, tags: [v1 ? 'v1' : 'internal'], ...(v1 ? { security: [{ bearer: [] }] } : {}) },
      url,
    };
  },
};
