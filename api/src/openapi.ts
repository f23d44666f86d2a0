import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { INTERNAL_TOKEN_QUERY_PARAMETER } from '../../internal-api/src/internal-token.js';

/** Where each listener serves its generated document; the public one also serves a browsable page. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

const ERRORS = 'Every error answers {"error": {"code": "LIVE_ERR_…", "message": "…"}}.';
const HEALTH_TAG = { name: 'health', description: 'Liveness and readiness, without a token' };

/** A route that streams its raw body (a video upload) lists what it `consumes` instead of a body schema. */
function rawBodyOf(schema: { consumes?: unknown; body?: unknown }) {
  return schema.consumes && !schema.body ? { body: { type: 'string', format: 'binary' } } : {};
}

/**
 * The public listener's document (API_PORT): the /v1 API, tagged `v1` and behind the bearer
 * token, and /health.
 */
export const publicOpenApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'livestack API',
      version: '1.0.0',
      description: `Managed live streams (the /v1 API of seed 000). ${ERRORS}`,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (lst_…), or ADMIN_TOKEN for the admin' },
      },
    },
    tags: [{ name: 'v1', description: 'Public API: send Authorization: Bearer <token>' }, HEALTH_TAG],
  },
  transform: ({ schema, url }) => {
    const v1 = url === '/v1' || url.startsWith('/v1/');
    return {
      schema: { ...schema, ...rawBodyOf(schema), tags: [v1 ? 'v1' : 'health'], ...(v1 ? { security: [{ bearer: [] }] } : {}) },
      url,
    };
  },
};

/**
 * The internal listener's document (API_INTERNAL_PORT): the routes origins, discovery, the edge
 * and nginx-rtmp call, each behind INTERNAL_TOKEN; `/authorize` also takes it in its query.
 */
export const internalOpenApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'livestack internal API',
      version: '1.0.0',
      description:
        'The live path between the API and its origins, discovery, edges and nginx-rtmp. Served on API_INTERNAL_PORT ' +
        `only, never to the internet; every route but /health needs INTERNAL_TOKEN. ${ERRORS}`,
    },
    components: {
      securitySchemes: {
        internalToken: { type: 'http', scheme: 'bearer', description: 'INTERNAL_TOKEN, shared by the API and its services' },
        internalTokenQuery: {
          type: 'apiKey',
          in: 'query',
          name: INTERNAL_TOKEN_QUERY_PARAMETER,
          description: "INTERNAL_TOKEN in the URL, for nginx-rtmp's on_publish (which cannot send headers); /authorize only",
        },
      },
    },
    tags: [{ name: 'internal', description: 'Called by origins, discovery, the edge and nginx-rtmp: send Authorization: Bearer <INTERNAL_TOKEN>' }, HEALTH_TAG],
  },
  transform: ({ schema, url, route }) => {
    if (url === '/health') return { schema: { ...schema, tags: ['health'] }, url };
    const security: Array<Record<string, string[]>> = [{ internalToken: [] }];
    if (route.config?.internalTokenInQuery) security.push({ internalTokenQuery: [] });
    return { schema: { ...schema, ...rawBodyOf(schema), tags: ['internal'], security }, url };
  },
};
