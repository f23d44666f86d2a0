import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { ErrorBody, PublishDeniedError } from '../errors.js';
import { StreamName } from '../schemas.js';
import { ANY_STREAM } from '../settings.js';

export interface AuthorizeRoutesOptions {
  /** Names allowed to publish; `*` allows any valid name. */
  allowedStreams: readonly string[];
}

/**
 * The publish request as nginx-rtmp's `on_publish` sends it (plus `call`, `tcurl`, … which are
 * accepted and ignored) and as the origin's GET sends it.
 */
const PublishRequest = Type.Object({
  name: StreamName,
  app: Type.Optional(Type.String({ maxLength: 256 })),
  addr: Type.Optional(Type.String({ maxLength: 256 })),
});
type PublishRequest = Static<typeof PublishRequest>;

const PublishAllowed = Type.Object({ allowed: Type.Literal(true), name: Type.String() });

/** Bodies nginx-rtmp's callbacks post; larger ones are not a publish request. */
const FORM_BODY_LIMIT_BYTES = 16 * 1024;

export const authorizeRoutes: FastifyPluginAsyncTypebox<AuthorizeRoutesOptions> = async (app, { allowedStreams }) => {
  const anyAllowed = allowedStreams.includes(ANY_STREAM);
  const allowed = new Set(allowedStreams);

  // nginx-rtmp posts its callbacks as HTML forms; the parser is scoped to this plugin's routes.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const decide = ({ name, app: rtmpApp, addr }: PublishRequest, log: typeof app.log) => {
    if (!anyAllowed && !allowed.has(name)) {
      log.info({ app: rtmpApp, addr }, 'publish denied');
      throw new PublishDeniedError(name);
    }
    return { allowed: true as const, name };
  };
  const response = { 200: PublishAllowed, 400: ErrorBody, 403: ErrorBody };

  app.get(
    '/authorize',
    { schema: { summary: 'May this stream name publish?', querystring: PublishRequest, response } },
    async (request) => decide(request.query, request.log),
  );
  app.post(
    '/authorize',
    {
      schema: {
        summary: 'May this stream name publish? (nginx-rtmp on_publish: form body)',
        body: PublishRequest,
        response,
      },
    },
    async (request) => decide(request.body, request.log),
  );
};
