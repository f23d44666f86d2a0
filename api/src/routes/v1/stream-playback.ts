import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PublishIngest } from '../../../../internal-api/src/ingest-contract.js';
import { errorResponses } from '../../errors.js';
import { PlatformName, TargetStatusBody, statusBody } from '../../restream/restream-schemas.js';
import { StreamIdParams, Timestamp } from '../../schemas.js';
import type { RestreamStatusStore } from '../../store/restream-status-store.js';
import type { RestreamTargetStore } from '../../store/restream-target-store.js';
import type { RouteStore } from '../../store/route-store.js';
import type { IngestStore } from '../../store/ingest-store.js';
import type { PublisherLeaseStore } from '../../store/publisher-lease-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import type { PullStore } from '../../store/pull-store.js';
import { PullBody, pullBody } from '../../pull/pull-schemas.js';
import { ownedStream } from './owned-stream.js';

export interface StreamPlaybackRoutesOptions {
  streams: StreamStore;
  routes: Pick<RouteStore, 'liveOrigins'>;
  targets: Pick<RestreamTargetStore, 'list'>;
  statuses: Pick<RestreamStatusStore, 'read'>;
  pulls: Pick<PullStore, 'get' | 'status'>;
  /** Who publishes the stream now, and what their origin's heartbeats say they send. */
  leases: Pick<PublisherLeaseStore, 'publisher'>;
  ingests: Pick<IngestStore, 'publishIngest'>;
  /** PUBLIC_PLAYBACK_URL, without a trailing slash. */
  publicPlaybackUrl: string;
  /** PUBLIC_SRT_URL (`srt://host:port`); no SRT playlist is listed without it. */
  publicSrtUrl: string | undefined;
}

/** The manifest the origins write per stream (nginx-rtmp's `hls_nested on` layout). */
export const HLS_MANIFEST = 'index.m3u8';

const Playlists = Type.Object({
  playlists: Type.Array(Type.Object({ protocol: Type.Enum(['hls', 'srt']), url: Type.String() })),
});

const Lifecycle = Type.Object({
  live: Type.Boolean({ description: 'Whether an origin is packaging the stream now' }),
  live_since: Type.Union([Timestamp, Type.Null()], { description: 'When the current live run began' }),
  origin: Type.Union([Type.String(), Type.Null()], { description: 'host:port of the origin serving it' }),
  publisher: Type.Union([Type.Literal('connected'), Type.Literal('away'), Type.Null()], {
    description:
      'connected: a publisher is sending; away: the publisher left and the origin holds the stream for its return ' +
      '(its fallback video plays, when it has one); null when not live',
  }),
  ingest: Type.Union([PublishIngest, Type.Null()], {
    description:
      "What the publisher sends, as the origin holding the publish reported it in its last heartbeat (every " +
      'INGEST_HEARTBEAT_MS): null when not live, while the publisher is away (fallback playing) or before the first report',
  }),
  restream: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      platform: PlatformName,
      enabled: Type.Boolean(),
      ...TargetStatusBody.properties,
      since: Type.Union([Timestamp, Type.Null()], { description: 'null while no origin reports the target (state idle or disabled)' }),
      reported_at: Type.Union([Timestamp, Type.Null()]),
    }),
    { description: 'Each restream target and its push, as the origin holding the stream reports it' },
  ),
  pull: Type.Union([PullBody, Type.Null()], { description: 'The pull source publishing the stream and its status; null without one' }),
});

/** Where to watch one of your streams, and whether it is live (seed 000 and seed 004's lifecycle). */
export const streamPlaybackRoutes: FastifyPluginAsyncTypebox<StreamPlaybackRoutesOptions> = async (
  app,
  { streams, routes, targets, statuses, pulls, leases, ingests, publicPlaybackUrl, publicSrtUrl },
) => {
  /** The live publisher (null while it is away or nobody publishes) and what its origin last reported it sends. */
  const livePublisher = async (stream: string) => {
    const publisher = await leases.publisher(stream);
    if (!publisher) return null;
    return { ingest: await ingests.publishIngest(publisher.originId, publisher.sessionId, stream) };
  };

  app.get(
    '/streams/:id/playlists',
    {
      schema: {
        summary: "Your stream's playback URLs: HLS through the edge, and SRT when PUBLIC_SRT_URL is set",
        params: StreamIdParams,
        response: { 200: Playlists, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const playlists: { protocol: 'hls' | 'srt'; url: string }[] = [
        { protocol: 'hls', url: `${publicPlaybackUrl}/${id}/${HLS_MANIFEST}` },
      ];
      if (publicSrtUrl) playlists.push({ protocol: 'srt', url: `${publicSrtUrl}?streamid=play/${id}` });
      return { playlists };
    },
  );

  app.get(
    '/streams/:id/lifecycle',
    {
      schema: {
        summary: 'Is your stream live, since when, on which origin, what its publisher sends, and how its restream targets are doing',
        params: StreamIdParams,
        response: { 200: Lifecycle, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const [[first], list, reported, publisher, pullSource, pullStatus] = await Promise.all([
        routes.liveOrigins(id),
        targets.list(id),
        statuses.read(id),
        livePublisher(id),
        pulls.get(id),
        pulls.status(id),
      ]);
      const pull = pullSource && pullBody(pullSource, pullStatus);
      const restream = list.map((target) => {
        const status = statusBody(reported.get(target.id));
        return {
          id: target.id,
          name: target.name,
          platform: target.platform,
          enabled: target.enabled,
          ...(status ?? {
            state: target.enabled ? ('idle' as const) : ('disabled' as const),
            since: null,
            bytes_sent: 0,
            bitrate_bps: 0,
            attempts: 0,
            last_error: null,
            next_retry_at: null,
            skipped_keyframes: 0,
            reported_at: null,
          }),
        };
      });
      if (!first) return { live: false, live_since: null, origin: null, publisher: null, ingest: null, restream, pull };
      return {
        live: true,
        live_since: new Date(first.registeredAtMs).toISOString(),
        origin: first.host,
        publisher: publisher ? ('connected' as const) : ('away' as const),
        ingest: publisher?.ingest ?? null,
        restream,
        pull,
      };
    },
  );
};
