import { Type, type Static } from '@fastify/type-provider-typebox';
import { createError, quote } from '../../service-kit/src/live-error.js';

export { LiveError, quote } from '../../service-kit/src/live-error.js';

/**
 * The errors the API answers with, each declared with service-kit's createError: its code (in the
 * one LIVE_ERR_* namespace, service-kit/src/live-error.ts) fixes its status.
 */
const errorObject = Type.Object({
  code: Type.String({ pattern: '^LIVE_ERR_[A-Z_]+$' }),
  message: Type.String(),
});

/** The body of every error response. */
export const ErrorBody = Type.Object({ error: errorObject });
export type ErrorBody = Static<typeof ErrorBody>;

/** What each error status means, for the OpenAPI document. */
const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the message names the field and the value it got',
  401: 'No token, or a wrong one: an API token on /v1, INTERNAL_TOKEN on the internal listener',
  403: 'Not allowed',
  404: 'No such resource (or not yours)',
  409: 'Conflicts with the current state',
  413: 'The body is larger than the limit the message names',
  415: 'The content-type is not one this route takes',
  408: 'The upload stalled or took longer than the limit the message names',
  422: 'The input is valid but could not be processed in the time allowed',
  429: 'Too many requests of this kind under way at once; retry when one is done',
  503: 'Redis is unavailable, or the service is at capacity (retry); or the feature is not configured (the message names the setting)',
};

/** Response schemas for the error statuses a route answers with, e.g. `...errorResponses(400, 404)`. */
export function errorResponses<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(
    statuses.map((status) => [status, Type.Object({ error: errorObject }, { description: STATUS_DESCRIPTIONS[status] ?? 'Error' })]),
  ) as { [K in S[number]]: typeof ErrorBody };
}

/** A field is invalid; the message names it and the value it got (never a secret-looking one). */
export class ValidationError extends createError('LIVE_ERR_VALIDATION', (field: string, problem: string, value?: { got: unknown }) =>
  value ? `${field} ${problem}; got ${quote(value.got)}` : `${field} ${problem}`,
) {}

export class MalformedRequestError extends createError('LIVE_ERR_MALFORMED_REQUEST', (message: string) => message) {}

/** What a 401 asks for: an API token on /v1, INTERNAL_TOKEN on the internal listener. */
const CREDENTIALS = {
  apiToken: {
    realm: 'livestack',
    missing: 'an API token is required: send "Authorization: Bearer <token>"',
    invalid: 'the API token is malformed, unknown or revoked',
  },
  internalToken: {
    realm: 'livestack-internal',
    missing: 'internal routes require the internal token: send "Authorization: Bearer <INTERNAL_TOKEN>"',
    invalid: 'the internal token is wrong',
  },
} as const;

type Credential = keyof typeof CREDENTIALS;

/** No token, or one that is malformed, unknown, revoked or wrong; the message never echoes it. */
export class UnauthorizedError extends createError(
  'LIVE_ERR_UNAUTHORIZED',
  (reason: 'missing' | 'invalid', credential: Credential) => CREDENTIALS[credential][reason],
) {
  constructor(
    readonly reason: 'missing' | 'invalid',
    readonly credential: Credential = 'apiToken',
  ) {
    super(reason, credential);
    const { realm } = CREDENTIALS[credential];
    this.headers = { 'www-authenticate': reason === 'missing' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"` };
  }
}

export class ForbiddenError extends createError('LIVE_ERR_FORBIDDEN', (message: string) => message) {}

/** The message never echoes what was sent: it may be a (mistyped or stolen) stream key. */
export class PublishDeniedError extends createError(
  'LIVE_ERR_PUBLISH_DENIED',
  () => 'this stream key or name may not publish: it is unknown, revoked or not in ALLOWED_STREAMS',
) {}

export class AlreadyPublishingError extends createError(
  'LIVE_ERR_ALREADY_PUBLISHING',
  (stream: string) => `stream ${quote(stream)} already has a live publisher; the new publish is refused`,
) {}

export class RouteNotFoundError extends createError('LIVE_ERR_ROUTE_NOT_FOUND', (method: string, path: string) => `no route for ${method} ${quote(path)}`) {}

export class StreamNotLiveError extends createError(
  'LIVE_ERR_STREAM_NOT_LIVE',
  (stream: string) => `stream ${quote(stream)} is not live: no origin has reported it within its TTL`,
) {}

/** Also the answer for another user's stream: its existence is not revealed. */
export class StreamNotFoundError extends createError('LIVE_ERR_STREAM_NOT_FOUND', (streamId: string) => `stream ${quote(streamId)} does not exist`) {}

/** Also the answer for another user's video, a deleted one, and one whose stream is gone. */
export class VideoNotFoundError extends createError('LIVE_ERR_VIDEO_NOT_FOUND', (uid: string) => `video ${quote(uid)} does not exist`) {}

/** Uids are random: the same uid under another stream is an origin's bug, never a second video. */
export class VideoStreamMismatchError extends createError(
  'LIVE_ERR_VIDEO_STREAM_MISMATCH',
  (uid: string, stored: string, reported: string) =>
    `video ${quote(uid)} belongs to stream ${quote(stored)}; the report names stream ${quote(reported)}`,
) {}

export class UserNotFoundError extends createError('LIVE_ERR_USER_NOT_FOUND', (userId: string) => `user ${quote(userId)} does not exist`) {}

export class TokenNotFoundError extends createError('LIVE_ERR_TOKEN_NOT_FOUND', (tokenId: string) => `API token ${quote(tokenId)} does not exist`) {}

/** Also the answer for a target of another user's stream. */
export class TargetNotFoundError extends createError(
  'LIVE_ERR_TARGET_NOT_FOUND',
  (targetId: string) => `restream target ${quote(targetId)} does not exist`,
) {}

/** A restream target's host resolves to an address origins must not push to (SSRF guard). */
export class TargetAddressRefusedError extends createError(
  'LIVE_ERR_TARGET_ADDRESS_REFUSED',
  (field: string, host: string, addressClass: string) =>
    `${field} host ${quote(host)} resolves to a ${addressClass} address; restream targets and pull sources must be ` +
    'reachable on the internet (the operator may allow private targets with ALLOW_PRIVATE_TARGETS=1)',
) {}

export class TooManyTargetsError extends createError(
  'LIVE_ERR_TOO_MANY_TARGETS',
  (streamId: string, max: number) => `stream ${quote(streamId)} already has ${max} restream targets, the most RESTREAM_MAX_TARGETS allows`,
) {}

export class PullNotFoundError extends createError('LIVE_ERR_PULL_NOT_FOUND', (streamId: string) => `stream ${quote(streamId)} has no pull source`) {}

export class PullExistsError extends createError(
  'LIVE_ERR_PULL_EXISTS',
  (streamId: string) => `stream ${quote(streamId)} already has a pull source; DELETE it first`,
) {}

export class FallbackNotFoundError extends createError('LIVE_ERR_FALLBACK_NOT_FOUND', (streamId: string) => `stream ${quote(streamId)} has no fallback video`) {}

/** The upload is not a video ffmpeg can convert; the message names what was found instead. */
export class FallbackNotVideoError extends createError(
  'LIVE_ERR_FALLBACK_NOT_VIDEO',
  (problem: string) => `the fallback upload is not a usable video: ${problem}`,
) {}

/** The client stopped sending its upload for FALLBACK_UPLOAD_IDLE_SECONDS. */
export class UploadStalledError extends createError(
  'LIVE_ERR_UPLOAD_STALLED',
  (idleSeconds: number) => `the upload sent nothing for ${idleSeconds} s (FALLBACK_UPLOAD_IDLE_SECONDS) and was given up`,
) {}

/** The upload was still arriving after FALLBACK_UPLOAD_TIMEOUT_SECONDS. */
export class UploadTooSlowError extends createError(
  'LIVE_ERR_UPLOAD_TOO_SLOW',
  (timeoutSeconds: number) =>
    `the upload took longer than FALLBACK_UPLOAD_TIMEOUT_SECONDS=${timeoutSeconds} and was given up; upload a smaller file or from a faster connection`,
) {}

export class FallbackInProgressError extends createError(
  'LIVE_ERR_FALLBACK_IN_PROGRESS',
  (streamId: string) => `a fallback video for stream ${quote(streamId)} is already being converted; retry when it is done`,
) {}

export class FallbackTooSlowError extends createError(
  'LIVE_ERR_FALLBACK_TOO_SLOW',
  (timeoutSeconds: number) =>
    `the conversion did not finish within FALLBACK_CONVERT_TIMEOUT_SECONDS=${timeoutSeconds}; upload a shorter or smaller video`,
) {}

/** Every upload this API instance takes at once (FALLBACK_MAX_UPLOADS) is under way. */
export class FallbackBusyError extends createError(
  'LIVE_ERR_FALLBACK_BUSY',
  (max: number, retryAfterSeconds: number) =>
    `this API is already taking ${max} fallback uploads (FALLBACK_MAX_UPLOADS); retry in ${retryAfterSeconds} s`,
) {
  constructor(max: number, retryAfterSeconds: number) {
    super(max, retryAfterSeconds);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

/** The user already has FALLBACK_MAX_UPLOADS_PER_USER uploads under way. */
export class TooManyUploadsError extends createError(
  'LIVE_ERR_TOO_MANY_UPLOADS',
  (max: number) => `you already have ${max} fallback uploads under way, the most FALLBACK_MAX_UPLOADS_PER_USER allows; retry when one is done`,
) {}

export class TooManyStreamsError extends createError(
  'LIVE_ERR_TOO_MANY_STREAMS',
  (max: number) => `you already have ${max} streams, the most MAX_STREAMS_PER_USER allows; delete one to create another`,
) {}

export class TooManyTokensError extends createError(
  'LIVE_ERR_TOO_MANY_TOKENS',
  (userId: string, max: number) =>
    `user ${quote(userId)} already has ${max} API tokens, the most MAX_TOKENS_PER_USER allows; revoke one to create another`,
) {}

/** Storing this fallback would take the user's fallback videos past FALLBACK_MAX_BYTES_PER_USER. */
export class FallbackQuotaExceededError extends createError(
  'LIVE_ERR_FALLBACK_QUOTA_EXCEEDED',
  (usedBytes: number, newBytes: number | undefined, maxBytes: number) =>
    newBytes === undefined
      ? `your fallback videos already take ${usedBytes} bytes, the most FALLBACK_MAX_BYTES_PER_USER=${maxBytes} allows; delete one first`
      : `this fallback video (${newBytes} bytes converted) and your others (${usedBytes} bytes) would exceed FALLBACK_MAX_BYTES_PER_USER=${maxBytes}`,
) {}

export class PayloadTooLargeError extends createError('LIVE_ERR_PAYLOAD_TOO_LARGE', (message: string) => message) {}

export class UnsupportedMediaTypeError extends createError(
  'LIVE_ERR_UNSUPPORTED_MEDIA_TYPE',
  (contentType: string | undefined) => `content-type ${quote(contentType)} is not supported by this route`,
) {}

/** An unexpected failure; its details go to the log (its cause), never to the client. */
export class InternalError extends createError('LIVE_ERR_INTERNAL', (_cause: unknown) => 'internal error') {
  constructor(cause: unknown) {
    super(cause, { cause });
  }
}

export class StoreUnavailableError extends createError(
  'LIVE_ERR_STORE_UNAVAILABLE',
  (cause: unknown) => `store (Redis) is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
) {
  constructor(cause: unknown) {
    super(cause, { cause });
  }
}

/** PLAYBACK_SIGNING_KEY is unset: this API cannot sign playback tokens (an operator's choice, not a retry). */
export class PlaybackSigningDisabledError extends createError(
  'LIVE_ERR_PLAYBACK_SIGNING_DISABLED',
  () => 'signed playback is not configured: the operator must set PLAYBACK_SIGNING_KEY on the API and every edge',
) {}
