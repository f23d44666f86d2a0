import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, StreamNotLiveError } from '../../errors.js';
import type { RouteStore } from '../../store/route-store.js';
import { ManifestPath, OriginHost, StreamName, Timestamp } from '../../schemas.js';

export interface LiveRoutesOptions {
  store: Pick<RouteStore, 'ttlSeconds' | 'register' | 'liveOrigins' | 'withdraw'>;
}

const StreamParams = Type.Object({ name: StreamName });

/** An origin's report (seed shape): it serves `name` at `http://<host>/<name>/<manifest>`. */
const StreamReport = Type.Object({ name: StreamName, manifest: ManifestPath, host: OriginHost });

const StreamRegistered = Type.Object({
  name: Type.String(),
  manifest: Type.String(),
  host: Type.String(),
  ttl_seconds: Type.Integer(),
});

const LiveOrigin = Type.Object({
  host: Type.String(),
  manifest: Type.String(),
  registered_at: Timestamp,
  expires_at: Timestamp,
});

/** Seed shape (`name`, `manifest`, `host` of the origin to stick to) plus every live origin. */
const StreamRoute = Type.Object({
  name: Type.String(),
  manifest: Type.String(),
  host: Type.String(),
  origins: Type.Array(LiveOrigin),
});

const WithdrawQuery = Type.Object({ host: Type.Optional(OriginHost) });

/** Internal: discovery reports which origin serves each packaged stream; the edge looks it up. */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveRoutesOptions> = async (app, { store }) => {
  app.post(
    '/streams',
    {
      schema: {
        summary: "Report (register or refresh) an origin's live stream for ROUTE_TTL_SECONDS",
        body: StreamReport,
        response: { 200: StreamRegistered, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { name, manifest, host } = request.body;
      await store.register(name, host, manifest);
      return { name, manifest, host, ttl_seconds: store.ttlSeconds };
    },
  );

  app.get(
    '/streams/:name',
    {
      schema: {
        summary: 'Where to play a live stream: the first-registered live origin, then all of them',
        params: StreamParams,
        response: { 200: StreamRoute, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { name } = request.params;
      const origins = await store.liveOrigins(name);
      const [first] = origins;
      if (!first) throw new StreamNotLiveError(name);
      return {
        name,
        manifest: first.manifest,
        host: first.host,
        origins: origins.map((origin) => ({
          host: origin.host,
          manifest: origin.manifest,
          registered_at: new Date(origin.registeredAtMs).toISOString(),
          expires_at: new Date(origin.expiresAtMs).toISOString(),
        })),
      };
    },
  );

  app.delete(
    '/streams/:name',
    {
      schema: {
        summary: "Withdraw one origin's registration (?host=) or all of them; idempotent",
        params: StreamParams,
        querystring: WithdrawQuery,
        response: { 204: Type.Null(), 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      await store.withdraw(request.params.name, request.query.host);
      return reply.code(204).send(null);
    },
  );
};
