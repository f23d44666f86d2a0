import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import type { ApiMetrics } from '../../api-metrics.js';
import { PublishAllowed, PublishRequest } from '../../../../internal-api/src/publish-contract.js';
import { PublishDeniedError, errorResponses } from '../../errors.js';
import type { PublishAuthorizer, PublishGrant } from '../../publish/publish-authorizer.js';

export interface AuthorizeRoutesOptions {
  authorizer: PublishAuthorizer;
  metrics: Pick<ApiMetrics, 'recordingQuotaStop'>;
}

/** Bodies nginx-rtmp's callbacks post; larger ones are not a publish request. */
const FORM_BODY_LIMIT_BYTES = 16 * 1024;

/** Seed-compatible publish authorization for origins (GET) and nginx-rtmp's on_publish (POST). */
export const authorizeRoutes: FastifyPluginAsyncTypebox<AuthorizeRoutesOptions> = async (app, { authorizer, metrics }) => {
  // nginx-rtmp posts its callbacks as HTML forms; the parser is scoped to this plugin's routes.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  /** The name is a stream key or may be one: it is never logged. */
  const decide = async (request: PublishRequest, log: FastifyBaseLogger): Promise<PublishGrant> => {
    const { app: rtmpApp, addr, origin_id: originId, session_id: sessionId } = request;
    try {
      const grant = await authorizer.authorize({ name: request.name, originId, sessionId });
      const { stream, managed, tookOverFrom, recordingStatus } = grant;
      log.info({ stream, managed, originId, sessionId, addr, tookOverFrom, recordingStatus }, 'publish authorized');
      if (recordingStatus === 'quota-exceeded') metrics.recordingQuotaStop('publish');
      return grant;
    } catch (error) {
      if (error instanceof PublishDeniedError) log.info({ app: rtmpApp, addr, originId }, 'publish denied');
      throw error;
    }
  };
  const allowed = (grant: PublishGrant) => ({
    allowed: true as const,
    name: grant.stream,
    key_generation: grant.keyGeneration,
    recording: { mode: grant.recording.mode, timeout_seconds: grant.recording.timeoutSeconds },
    ...(grant.abr ? { abr: grant.abr } : {}),
  });

  app.get(
    INTERNAL_PATHS.authorize,
    {
      // nginx-rtmp sends no headers: INTERNAL_TOKEN may come as ?internal_token= here.
      config: { internalTokenInQuery: true },
      schema: {
        summary: "May this stream key or open name publish? Takes the stream's one-publisher lease",
        querystring: PublishRequest,
        response: { 200: PublishAllowed, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (request) => allowed(await decide(request.query, request.log)),
  );

  app.post(
    INTERNAL_PATHS.authorize,
    {
      config: { internalTokenInQuery: true },
      schema: {
        summary: 'nginx-rtmp on_publish (form body): 302 to the stream id for a key, 200 for an open name',
        body: PublishRequest,
        response: {
          200: PublishAllowed,
          302: Type.Null({ description: 'Location: the stream id; nginx-rtmp publishes under that name' }),
          ...errorResponses(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const grant = await decide(request.body, request.log);
      if (!grant.managed) return allowed(grant);
      return reply.redirect(grant.stream, 302);
    },
  );
};
