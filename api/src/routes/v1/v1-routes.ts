import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticator } from '../../auth/authenticator.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import type { FallbackUploader } from '../../fallback/fallback-uploader.js';
import type { WellKnownPlatform } from '../../restream/platforms.js';
import type { TargetAddressPolicy } from '../../restream/target-address-policy.js';
import type { FallbackStore } from '../../store/fallback-store.js';
import type { IngestStore } from '../../store/ingest-store.js';
import type { PublisherLeaseStore } from '../../store/publisher-lease-store.js';
import type { RestreamStatusStore } from '../../store/restream-status-store.js';
import type { RestreamTargetStore } from '../../store/restream-target-store.js';
import type { RouteStore } from '../../store/route-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import type { TokenStore } from '../../store/token-store.js';
import type { PullStore } from '../../store/pull-store.js';
import type { UserStore } from '../../store/user-store.js';
import type { VideoStore } from '../../store/video-store.js';
import type { ViewerStore } from '../../store/viewer-store.js';
import { ingestRoutes } from './ingests.js';
import { meRoutes } from './me.js';
import type { RecordingQuota } from '../../recording-quota.js';
import { playbackTokenRoutes } from './playback-tokens.js';
import { restreamTargetRoutes } from './restream-targets.js';
import { streamFallbackRoutes } from './stream-fallback.js';
import { streamKeyRoutes } from './stream-keys.js';
import { streamPullRoutes } from './stream-pull.js';
import { streamPlaybackRoutes } from './stream-playback.js';
import { streamViewRoutes } from './stream-views.js';
import { streamRoutes } from './streams.js';
import type { AbrLadderBounds } from '../../abr-ladder-bounds.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { videoRoutes } from './videos.js';

export interface V1RoutesOptions {
  authenticator: Authenticator;
  users: UserStore;
  tokens: TokenStore;
  streams: StreamStore;
  routes: RouteStore;
  ingests: IngestStore;
  leases: PublisherLeaseStore;
  viewers: ViewerStore;
  videos: VideoStore;
  quota: RecordingQuota;
  publicPlaybackUrl: string;
  publicSrtUrl: string | undefined;
  /** PLAYBACK_SIGNING_KEY */
  playbackSigningKey: string | undefined;
  /** Clock of playback tokens' `iat` and `exp`. */
  now: () => number;
  /** MAX_STREAMS_PER_USER, MAX_TOKENS_PER_USER and the ABR_MAX_* bounds on a stream's ladder */
  limits: { maxStreamsPerUser: number; maxTokensPerUser: number; abrLadderBounds: AbrLadderBounds };
  restream: {
    targets: RestreamTargetStore;
    statuses: RestreamStatusStore;
    addressPolicy: TargetAddressPolicy;
    platformUrls: Readonly<Record<WellKnownPlatform, string>>;
    maxTargets: number;
  };
  /** Pull sources: their store and the restream targets' address policy. */
  pull: { pulls: PullStore; addressPolicy: TargetAddressPolicy };
  fallback: {
    store: FallbackStore;
    files: FallbackFiles;
    uploader: FallbackUploader;
  };
}

/** The public API (seed 000), mounted under /v1: every route needs a bearer token. */
export const v1Routes: FastifyPluginAsyncTypebox<V1RoutesOptions> = async (app, options) => {
  const { authenticator, users, tokens, streams, restream, fallback } = options;
  app.decorateRequest('principal', null as never);
  // onRequest runs before body validation: an unauthenticated caller learns nothing, not even a 400.
  app.addHook('onRequest', async (request) => {
    request.principal = await authenticator.authenticate(request.headers.authorization);
  });

  await app.register(meRoutes, { users, quota: options.quota });
  await app.register(userRoutes, { users, routes: options.routes, fallbackFiles: fallback.files, quota: options.quota });
  await app.register(tokenRoutes, { tokens, users, maxTokensPerUser: options.limits.maxTokensPerUser });
  await app.register(streamRoutes, {
    streams,
    routes: options.routes,
    targets: restream.targets,
    fallbackFiles: fallback.files,
    platformUrls: restream.platformUrls,
    maxStreamsPerUser: options.limits.maxStreamsPerUser,
    abrLadderBounds: options.limits.abrLadderBounds,
  });
  await app.register(streamKeyRoutes, { streams });
  await app.register(streamPlaybackRoutes, {
    streams,
    routes: options.routes,
    targets: restream.targets,
    statuses: restream.statuses,
    pulls: options.pull.pulls,
    leases: options.leases,
    ingests: options.ingests,
    publicPlaybackUrl: options.publicPlaybackUrl,
    publicSrtUrl: options.publicSrtUrl,
  });
  await app.register(playbackTokenRoutes, {
    streams,
    signingKey: options.playbackSigningKey,
    publicPlaybackUrl: options.publicPlaybackUrl,
    now: options.now,
  });
  await app.register(streamViewRoutes, { streams, viewers: options.viewers });
  await app.register(restreamTargetRoutes, { streams, ...restream });
  await app.register(streamFallbackRoutes, { streams, ...fallback });
  await app.register(streamPullRoutes, { streams, ...options.pull });
  await app.register(ingestRoutes, { ingests: options.ingests });
  await app.register(videoRoutes, { streams, videos: options.videos, publicPlaybackUrl: options.publicPlaybackUrl });
};
