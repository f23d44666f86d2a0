import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { signPlaybackToken, streamSigningSecret } from '../../../../playback-token/src/playback-token.js';
import { PlaybackSigningDisabledError, errorResponses } from '../../errors.js';
import { StreamIdParams, Timestamp } from '../../schemas.js';
import type { StreamStore } from '../../store/stream-store.js';
import { HLS_MANIFEST } from './stream-playback.js';
import { ownedStream } from './owned-stream.js';

export interface PlaybackTokenRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  /** PLAYBACK_SIGNING_KEY; unset, both routes answer 503 LIVE_ERR_PLAYBACK_SIGNING_DISABLED. */
  signingKey: string | undefined;
  /** PUBLIC_PLAYBACK_URL, without a trailing slash. */
  publicPlaybackUrl: string;
  /** Clock of `iat` and `exp`. */
  now: () => number;
}

const MIN_EXPIRES_IN_S = 60;
/** 30 days: a longer-lived link is a public one; turn require_signed_urls off instead. */
const MAX_EXPIRES_IN_S = 30 * 86_400;
const DEFAULT_EXPIRES_IN_S = 3600;

const TokenRequest = Type.Object({
  expires_in_s: Type.Optional(
    Type.Integer({
      minimum: MIN_EXPIRES_IN_S,
      maximum: MAX_EXPIRES_IN_S,
      description: `Lifetime in seconds, ${MIN_EXPIRES_IN_S}-${MAX_EXPIRES_IN_S}; default ${DEFAULT_EXPIRES_IN_S}`,
    }),
  ),
});

const IssuedToken = Type.Object({
  token: Type.String({ description: 'A JWT (HS256, {sub: stream id, iat, exp}); secret while it lasts: share it only with the viewer' }),
  expires_at: Timestamp,
  playback_url: Type.String({ description: 'The HLS URL with the token: PUBLIC_PLAYBACK_URL/<id>/index.m3u8?token=<token>' }),
});

const SigningKey = Type.Object({
  algorithm: Type.Literal('HS256'),
  signing_key: Type.String({
    description: "Secret: this stream's HS256 key, used as a string (its UTF-8 bytes) by any JWT library; it signs tokens for this stream only",
  }),
  subject: Type.String({ description: 'The `sub` claim every token for this stream carries: the stream id' }),
});

/**
 * Signed playback (seed 004's requireSignedURLs): expiring tokens that the edges check locally.
 * The API mints them, or the owner does with the stream's signing key and any JWT library.
 */
export const playbackTokenRoutes: FastifyPluginAsyncTypebox<PlaybackTokenRoutesOptions> = async (
  app,
  { streams, signingKey, publicPlaybackUrl, now },
) => {
  const requireSigningKey = (): string => {
    if (signingKey === undefined) throw new PlaybackSigningDisabledError();
    return signingKey;
  };

  app.post(
    '/streams/:id/playback-token',
    {
      schema: {
        summary: 'Make an expiring playback token for your stream, and the playback URL that carries it',
        params: StreamIdParams,
        body: TokenRequest,
        response: { 201: IssuedToken, ...errorResponses(400, 401, 404, 503) },
      },
      // Every field is optional, so no body at all means the defaults.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const key = requireSigningKey();
      // Whole seconds, so expires_at is exactly the token's `exp`.
      const issuedAtS = Math.floor(now() / 1000);
      const expiresAtMs = (issuedAtS + (request.body.expires_in_s ?? DEFAULT_EXPIRES_IN_S)) * 1000;
      const token = signPlaybackToken({ streamId: id, issuedAtMs: issuedAtS * 1000, expiresAtMs }, key);
      const expiresAt = new Date(expiresAtMs).toISOString();
      request.log.info({ stream: id, expires_at: expiresAt }, 'playback token issued');
      return reply.code(201).send({
        token,
        expires_at: expiresAt,
        playback_url: `${publicPlaybackUrl}/${id}/${HLS_MANIFEST}?token=${token}`,
      });
    },
  );

  app.get(
    '/streams/:id/playback-signing-key',
    {
      schema: {
        summary: "Your stream's signing key, to mint playback tokens yourself ({sub: <id>, exp} with HS256)",
        params: StreamIdParams,
        response: { 200: SigningKey, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      return { algorithm: 'HS256' as const, signing_key: streamSigningSecret(id, requireSigningKey()), subject: id };
    },
  );
};
