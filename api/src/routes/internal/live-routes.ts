import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, StreamNotFoundError, StreamNotLiveError } from '../../errors.js';
import type { OpenNames } from '../../publish/open-names.js';
import type { RouteStore } from '../../store/route-store.js';
import { OPEN_PLAYBACK, type PlaybackPolicy, type StreamStore } from '../../store/stream-store.js';
import { ManifestPath, OriginHost, StreamName, Timestamp, isStreamIdShaped } from '../../schemas.js';

export interface LiveRoutesOptions {
  store: Pick<RouteStore, 'ttlSeconds' | 'register' | 'end' | 'registrations' | 'withdraw'>;
  streams: Pick<StreamStore, 'playback'>;
  openNames: Pick<OpenNames, 'allows'>;
}

/** The longest an ended stream may stay playable (a day of DVR would be a recording, not this). */
const MAX_ENDED_GRACE_SECONDS = 86_400;

const RouteState = Type.Union([Type.Literal('live'), Type.Literal('ended')], {
  description: 'live: the playlist is growing; ended: it got ENDLIST (or went stale) and is kept playable for a grace period',
});

const StreamParams = Type.Object({ name: StreamName });

/**
 * An origin's report (seed shape): it serves `name` at `http://<host>/<name>/<manifest>`; with
 * `state: ended` the playlist ended and stays served for `grace_seconds` (default ROUTE_TTL_SECONDS).
 */
const StreamReport = Type.Object({
  name: StreamName,
  manifest: ManifestPath,
  host: OriginHost,
  state: Type.Optional(RouteState),
  grace_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ENDED_GRACE_SECONDS })),
});

const StreamRegistered = Type.Object({
  name: Type.String(),
  manifest: Type.String(),
  host: Type.String(),
  state: RouteState,
  ttl_seconds: Type.Integer(),
});

const ListedOrigin = Type.Object({
  host: Type.String(),
  manifest: Type.String(),
  state: RouteState,
  registered_at: Timestamp,
  ended_at: Type.Union([Timestamp, Type.Null()]),
  expires_at: Timestamp,
});

/** Who may play the stream; the edge enforces it on every playlist and segment request. */
const Playback = Type.Object(
  {
    require_signed_urls: Type.Boolean({ description: 'Every request must carry ?token=<playback token for this stream>' }),
    allowed_origins: Type.Array(Type.String(), {
      description: 'Host patterns (example.com, app.example.com:8443, *.example.com) the Origin or Referer must match; empty: any',
    }),
  },
  { description: "The managed stream's settings; an open name (ALLOWED_STREAMS) is always {false, []}" },
);

/**
 * Seed shape (`name`, `manifest`, `host` of the origin to stick to) plus the origins to choose
 * from: the live ones, or, when none is live, the ones still serving the ended stream; and the
 * stream's playback policy, so the edge needs no other call.
 */
const StreamRoute = Type.Object({
  name: Type.String(),
  manifest: Type.String(),
  host: Type.String(),
  state: RouteState,
  origins: Type.Array(ListedOrigin),
  playback: Playback,
});

const WithdrawQuery = Type.Object({ host: Type.Optional(OriginHost) });

/** Internal: discovery reports which origin serves each packaged stream; the edge looks it up. */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveRoutesOptions> = async (app, { store, streams, openNames }) => {
  /**
   * A stream id's policy; null for a name the API does not know: an id whose stream is gone
   * (deleted while its origin still served it: nobody may play it any more, nor route it again)
   * or a name that is not open (ALLOWED_STREAMS). Open names never take the shape of an id.
   */
  const playbackOf = async (name: string): Promise<PlaybackPolicy | null> => {
    if (isStreamIdShaped(name)) return streams.playback(name);
    return openNames.allows(name) ? OPEN_PLAYBACK : null;
  };

  app.post(
    '/streams',
    {
      schema: {
        summary:
          "Report an origin's live stream (for ROUTE_TTL_SECONDS) or its end (kept for grace_seconds); " +
          'refused (404) for a name that is neither an existing stream id nor an open name',
        body: StreamReport,
        response: { 200: StreamRegistered, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { name, manifest, host, state = 'live', grace_seconds: graceSeconds = store.ttlSeconds } = request.body;
      if (!(await playbackOf(name))) throw new StreamNotFoundError(name);
      if (state === 'ended') {
        await store.end(name, host, manifest, graceSeconds);
        return { name, manifest, host, state, ttl_seconds: graceSeconds };
      }
      await store.register(name, host, manifest);
      return { name, manifest, host, state, ttl_seconds: store.ttlSeconds };
    },
  );

  app.get(
    '/streams/:name',
    {
      schema: {
        summary: 'Where to play a stream (the first-registered live origin, else one still serving its end) and who may play it',
        params: StreamParams,
        response: { 200: StreamRoute, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { name } = request.params;
      const [listed, playback] = await Promise.all([store.registrations(name), playbackOf(name)]);
      const [first] = listed;
      if (!first || !playback) throw new StreamNotLiveError(name);
      // Live origins come first; ended ones are offered only when no origin is live, so an edge
      // never sticks to a finished broadcast while a new one runs elsewhere.
      const state = first.endedAtMs === undefined ? ('live' as const) : ('ended' as const);
      const origins = listed.filter((origin) => (origin.endedAtMs === undefined) === (state === 'live'));
      return {
        name,
        manifest: first.manifest,
        host: first.host,
        state,
        origins: origins.map((origin) => ({
          host: origin.host,
          manifest: origin.manifest,
          state,
          registered_at: new Date(origin.registeredAtMs).toISOString(),
          ended_at: origin.endedAtMs === undefined ? null : new Date(origin.endedAtMs).toISOString(),
          expires_at: new Date(origin.expiresAtMs).toISOString(),
        })),
        playback: { require_signed_urls: playback.requireSignedUrls, allowed_origins: playback.allowedOrigins },
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
