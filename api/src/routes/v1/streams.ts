import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  MAX_ALLOWED_ORIGINS,
  MAX_ALLOWED_ORIGIN_LENGTH,
  isAllowedOriginPattern,
  normalizeAllowedOrigin,
} from '../../../../playback-token/src/allowed-origins.js';
import { AbrLadder, DEFAULT_ABR_LADDER, duplicateHeight } from '../../../../internal-api/src/abr-contract.js';
import { RecordingModeField, RecordingTimeoutSeconds } from '../../../../internal-api/src/recording-contract.js';
import { checkLadderBounds, type AbrLadderBounds } from '../../abr-ladder-bounds.js';
import { ADMIN_USER_ID } from '../../auth/authenticator.js';
import { StreamNotFoundError, UnauthorizedError, ValidationError, errorResponses } from '../../errors.js';
import { STREAM_SECRET_LENGTH } from '../../publish/stream-key.js';
import { randomSecret } from '../../random-strings.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import { ingestUrlOf, type WellKnownPlatform } from '../../restream/platforms.js';
import { PlatformName } from '../../restream/restream-schemas.js';
import { DisplayName, StreamIdParams, Timestamp } from '../../schemas.js';
import type { RouteStore } from '../../store/route-store.js';
import type { RestreamTarget, RestreamTargetStore } from '../../store/restream-target-store.js';
import { DEFAULT_ABR, DEFAULT_RECORDING, OPEN_PLAYBACK, RECORDING_STATUSES, type AbrSettings, type Stream, type StreamStore } from '../../store/stream-store.js';
import { limitFor } from '../../user-limits.js';
import { ownedStream } from './owned-stream.js';

export interface StreamRoutesOptions {
  streams: StreamStore;
  targets: Pick<RestreamTargetStore, 'listMany'>;
  fallbackFiles: Pick<FallbackFiles, 'remove'>;
  /** A deleted stream's routes go at once: the edge answers 404 once its route cache expires. */
  routes: Pick<RouteStore, 'withdraw'>;
  platformUrls: Readonly<Record<WellKnownPlatform, string>>;
  /** MAX_STREAMS_PER_USER */
  maxStreamsPerUser: number;
  /** ABR_MAX_RENDITIONS, ABR_MAX_HEIGHT, ABR_MAX_BITRATE_KBPS */
  abrLadderBounds: AbrLadderBounds;
}

/** Seed 000's restream target in a stream: a summary, never the key (full targets: …/restream-targets). */
const RestreamTargetSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  platform: PlatformName,
  stream_url: Type.String(),
  enabled: Type.Boolean(),
});

const RequireSignedUrls = Type.Boolean({
  description: 'Viewers need a playback token (POST …/playback-token) in the playback URL; default false',
});

const AllowedOrigins = Type.Array(
  Type.String({
    maxLength: MAX_ALLOWED_ORIGIN_LENGTH,
    description: 'A host as browsers send it in Origin: example.com, app.example.com:8443, or *.example.com for its subdomains',
  }),
  {
    maxItems: MAX_ALLOWED_ORIGINS,
    description:
      `Web sites that may play the stream (their Origin, or Referer, must match; http and https alike; ` +
      `stored lowercase, without duplicates); empty (the default): any site. At most ${MAX_ALLOWED_ORIGINS}`,
  },
);

/** Seed 004's recording setting, named as the seed names it. */
const Recording = Type.Object({ mode: RecordingModeField, timeoutSeconds: RecordingTimeoutSeconds });

const RecordingChanges = Type.Object(
  { mode: Type.Optional(RecordingModeField), timeoutSeconds: Type.Optional(RecordingTimeoutSeconds) },
  {
    description:
      `Seed 004's recording setting; an omitted field keeps its value (new streams: mode ${DEFAULT_RECORDING.mode}, ` +
      `timeoutSeconds ${DEFAULT_RECORDING.timeoutSeconds})`,
  },
);

const DEFAULT_LADDER_TEXT = DEFAULT_ABR_LADDER.map((rung) => `${rung.height}p ${rung.bitrate_bps / 1e6} Mb/s`).join(', ');

/** Issue 13's adaptive bitrate setting. */
const Abr = Type.Object({
  enabled: Type.Boolean({ description: 'Transcode each session into the ladder beside the source; index.m3u8 becomes a multivariant playlist' }),
  ladder: Type.Union([AbrLadder, Type.Null()], {
    description:
      `null: the default ladder (${DEFAULT_LADDER_TEXT}); a ladder of its own is bounded by the operator's ` +
      'ABR_MAX_RENDITIONS, ABR_MAX_HEIGHT and ABR_MAX_BITRATE_KBPS (per rendition): past them, 400 naming the field and the bound',
  }),
});

const AbrChanges = Type.Object(
  { enabled: Type.Optional(Abr.properties.enabled), ladder: Type.Optional(Abr.properties.ladder) },
  {
    description:
      'Adaptive bitrate: renditions at or above the source height are skipped (never upscaled), the source always plays as it is; ' +
      'an omitted field keeps its value (new streams: off, the default ladder); applies from the next publish. ' +
      'An origin already transcoding ABR_MAX_STREAMS streams runs the stream without ABR and says so in lifecycle',
  },
);

/** 400 naming a height the ladder lists twice, or the part of it past the operator's bounds. */
function checkAbr(abr: Partial<AbrSettings> | undefined, bounds: AbrLadderBounds): Partial<AbrSettings> | undefined {
  if (!abr?.ladder) return abr;
  const height = duplicateHeight(abr.ladder);
  if (height !== undefined) throw new ValidationError('body.abr.ladder', 'must list each height once', { got: height });
  checkLadderBounds(abr.ladder, bounds);
  return abr;
}

/** Seed 000's stream, with seed 004's playback and recording settings. */
const StreamBody = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  name: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  require_signed_urls: Type.Boolean(),
  allowed_origins: Type.Array(Type.String()),
  recording: Recording,
  recordingStatus: Type.Union([Type.Enum([...RECORDING_STATUSES]), Type.Null()], {
    description:
      "Why the latest session was not recorded, or stopped being: quota-exceeded, the owner's recording quota is reached " +
      '(GET /v1/me: storage); null: nothing stopped it',
  }),
  abr: Abr,
  restream_targets: Type.Array(RestreamTargetSummary),
});

/** A new stream, or the whole of a changed one: omitted playback and recording settings keep their value. */
const StreamFields = Type.Object({
  name: DisplayName,
  require_signed_urls: Type.Optional(RequireSignedUrls),
  allowed_origins: Type.Optional(AllowedOrigins),
  recording: Type.Optional(RecordingChanges),
  abr: Type.Optional(AbrChanges),
});

/** Lowercase and without duplicates; 400 naming the first pattern that is not a host. */
function checkAllowedOrigins(patterns: readonly string[]): string[] {
  patterns.forEach((pattern, index) => {
    if (!isAllowedOriginPattern(pattern)) {
      throw new ValidationError(
        `body.allowed_origins.${index}`,
        'must be a host (example.com, app.example.com:8443) or a wildcard (*.example.com), without scheme or path',
        { got: pattern },
      );
    }
  });
  return [...new Set(patterns.map(normalizeAllowedOrigin))];
}

/** The caller's streams (seed 000): nobody sees, changes or learns of another user's stream. */
export const streamRoutes: FastifyPluginAsyncTypebox<StreamRoutesOptions> = async (app, options) => {
  const { streams, targets, fallbackFiles, routes, platformUrls, maxStreamsPerUser, abrLadderBounds } = options;

  const toBody = (stream: Stream, restreamTargets: readonly RestreamTarget[]) => ({
    id: stream.id,
    user_id: stream.userId,
    name: stream.name,
    created_at: stream.createdAt,
    updated_at: stream.updatedAt,
    require_signed_urls: stream.playback.requireSignedUrls,
    allowed_origins: stream.playback.allowedOrigins,
    recording: { ...stream.recording },
    recordingStatus: stream.recordingStatus,
    abr: { enabled: stream.abr.enabled, ladder: stream.abr.ladder },
    restream_targets: restreamTargets.map((target) => ({
      id: target.id,
      name: target.name,
      platform: target.platform,
      stream_url: ingestUrlOf(target, platformUrls),
      enabled: target.enabled,
    })),
  });
  const withTargets = async (list: Stream[]) => {
    const byStream = await targets.listMany(list.map((stream) => stream.id));
    return list.map((stream) => toBody(stream, byStream.get(stream.id) ?? []));
  };
  const oneWithTargets = async (stream: Stream) => toBody(stream, (await targets.listMany([stream.id])).get(stream.id) ?? []);

  app.get(
    '/streams',
    {
      schema: {
        summary: 'List your streams, oldest first',
        response: { 200: Type.Object({ data: Type.Array(StreamBody) }), ...errorResponses(401, 503) },
      },
    },
    async (request) => ({ data: await withTargets(await streams.list(request.principal.userId)) }),
  );

  app.post(
    '/streams',
    {
      schema: {
        summary: 'Create a stream with fresh RTMP and SRT keys',
        description: 'A user has at most MAX_STREAMS_PER_USER streams: past it, 409 LIVE_ERR_TOO_MANY_STREAMS.',
        body: StreamFields,
        response: { 201: StreamBody, ...errorResponses(400, 401, 409, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = request.principal;
      const { name, require_signed_urls: requireSignedUrls, allowed_origins: allowedOrigins, recording, abr } = request.body;
      const playback = {
        requireSignedUrls: requireSignedUrls ?? OPEN_PLAYBACK.requireSignedUrls,
        allowedOrigins: allowedOrigins === undefined ? [] : checkAllowedOrigins(allowedOrigins),
      };
      const secrets = { rtmp: randomSecret(STREAM_SECRET_LENGTH), srt: randomSecret(STREAM_SECRET_LENGTH) };
      const stream = await streams.create(userId, name, secrets, userId !== ADMIN_USER_ID, limitFor(userId, maxStreamsPerUser), playback, {
        ...DEFAULT_RECORDING,
        ...recording,
      }, { ...DEFAULT_ABR, ...checkAbr(abr, abrLadderBounds) });
      // The user was deleted while this request was under way: its token is no longer valid.
      if (!stream) throw new UnauthorizedError('invalid');
      return reply.code(201).send(toBody(stream, []));
    },
  );

  app.get(
    '/streams/:id',
    {
      schema: {
        summary: 'Get one of your streams',
        params: StreamIdParams,
        response: { 200: StreamBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => oneWithTargets(await ownedStream(streams, request.principal, request.params.id)),
  );

  app.put(
    '/streams/:id',
    {
      schema: {
        summary:
          'Change one of your streams: its name, and its playback, recording and ABR settings when given (the edges apply playback settings within seconds; recording and ABR apply from the next publish)',
        params: StreamIdParams,
        body: StreamFields,
        response: { 200: StreamBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { name, require_signed_urls: requireSignedUrls, allowed_origins: allowedOrigins, recording, abr } = request.body;
      const stream = await streams.update(request.principal.userId, request.params.id, {
        name,
        requireSignedUrls,
        allowedOrigins: allowedOrigins === undefined ? undefined : checkAllowedOrigins(allowedOrigins),
        recording,
        abr: checkAbr(abr, abrLadderBounds),
      });
      if (!stream) throw new StreamNotFoundError(request.params.id);
      return oneWithTargets(stream);
    },
  );

  app.delete(
    '/streams/:id',
    {
      schema: {
        summary: 'Delete one of your streams with its keys, restream targets, fallback video and live state; its publisher is disconnected',
        params: StreamIdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      if (!(await streams.delete(request.principal.userId, request.params.id))) {
        throw new StreamNotFoundError(request.params.id);
      }
      await Promise.all([fallbackFiles.remove(request.params.id), routes.withdraw(request.params.id)]);
      return reply.code(204).send(null);
    },
  );
};
