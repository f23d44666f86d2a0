import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import { StreamParams, StreamRegistered, StreamReport, StreamRoute, WithdrawQuery } from '../../../../internal-api/src/route-contract.js';
import { StreamNotFoundError, StreamNotLiveError, errorResponses } from '../../errors.js';
import type { OpenNames } from '../../publish/open-names.js';
import type { RouteStore } from '../../store/route-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import type { VideoStore } from '../../store/video-store.js';
import { playbackOf } from './playback-of.js';

export interface LiveRoutesOptions {
  store: Pick<RouteStore, 'ttlSeconds' | 'register' | 'end' | 'registrations' | 'withdraw'>;
  streams: Pick<StreamStore, 'playback'>;
  openNames: Pick<OpenNames, 'allows'>;
  videos: Pick<VideoStore, 'list'>;
}

/** Internal: discovery reports which origin serves each packaged stream; the edge looks it up. */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveRoutesOptions> = async (app, { store, streams, openNames, videos }) => {
  app.post(
    INTERNAL_PATHS.streams,
    {
      schema: {
        summary:
          "Report an origin's live stream (for ROUTE_TTL_SECONDS) or its end (kept for grace_seconds); " +
          'refused (404) for a name that is neither an existing stream id nor an open name',
        body: StreamReport,
        response: { 200: StreamRegistered, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { name, manifest, host, state = 'live', grace_seconds: graceSeconds = store.ttlSeconds } = request.body;
      if (!(await playbackOf(streams, openNames, name))) throw new StreamNotFoundError(name);
      if (state === 'ended') {
        await store.end(name, host, manifest, graceSeconds);
        return { name, manifest, host, state, ttl_seconds: graceSeconds };
      }
      await store.register(name, host, manifest);
      return { name, manifest, host, state, ttl_seconds: store.ttlSeconds };
    },
  );

  app.get(
    INTERNAL_PATHS.stream,
    {
      schema: {
        summary:
          'Where to play a stream (the newest-registered live origin, else one still serving its end; the others in ' +
          'order of preference) and who may play it; 404 LIVE_ERR_STREAM_NOT_LIVE when no origin reported it within ' +
          'its TTL, 404 LIVE_ERR_STREAM_NOT_FOUND for a name the API does not know (deleted, never created, not open)',
        params: StreamParams,
        response: { 200: StreamRoute, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const [listed, playback, [newest]] = await Promise.all([
        store.registrations(name),
        playbackOf(streams, openNames, name),
        // The newest video is the live one, if any: a stream has one publisher (one session) at a time.
        videos.list(name, 1),
      ]);
      const [first] = listed;
      // Told apart for the edge: a stream not reported (yet) may still be live on its origin, after
      // Redis lost the live state; a stream that does not exist may not be played at all.
      if (!playback) throw new StreamNotFoundError(name);
      if (!first) throw new StreamNotLiveError(name);
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
        live_video_uid: state === 'live' && newest?.state === 'live-inprogress' ? newest.uid : null,
      };
    },
  );

  app.delete(
    INTERNAL_PATHS.stream,
    {
      schema: {
        summary: "Withdraw one origin's registration (?host=) or all of them; idempotent",
        params: StreamParams,
        querystring: WithdrawQuery,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      await store.withdraw(request.params.name, request.query.host);
      return reply.code(204).send(null);
    },
  );
};
