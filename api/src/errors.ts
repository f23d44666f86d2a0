import { Type, type Static } from '@fastify/type-provider-typebox';

/** Every error code the API answers with, and the HTTP status it goes with. */
export const ERROR_STATUS = {
  LIVE_ERR_VALIDATION: 400,
  LIVE_ERR_MALFORMED_REQUEST: 400,
  LIVE_ERR_TARGET_ADDRESS_REFUSED: 400,
  LIVE_ERR_FALLBACK_NOT_VIDEO: 400,
  LIVE_ERR_UNAUTHORIZED: 401,
  LIVE_ERR_FORBIDDEN: 403,
  LIVE_ERR_PUBLISH_DENIED: 403,
  LIVE_ERR_ROUTE_NOT_FOUND: 404,
  LIVE_ERR_STREAM_NOT_LIVE: 404,
  LIVE_ERR_STREAM_NOT_FOUND: 404,
  LIVE_ERR_USER_NOT_FOUND: 404,
  LIVE_ERR_TOKEN_NOT_FOUND: 404,
  LIVE_ERR_TARGET_NOT_FOUND: 404,
  LIVE_ERR_FALLBACK_NOT_FOUND: 404,
  LIVE_ERR_UPLOAD_STALLED: 408,
  LIVE_ERR_UPLOAD_TOO_SLOW: 408,
  LIVE_ERR_ALREADY_PUBLISHING: 409,
  LIVE_ERR_TOO_MANY_TARGETS: 409,
  LIVE_ERR_TOO_MANY_STREAMS: 409,
  LIVE_ERR_TOO_MANY_TOKENS: 409,
  LIVE_ERR_FALLBACK_IN_PROGRESS: 409,
  LIVE_ERR_PAYLOAD_TOO_LARGE: 413,
  LIVE_ERR_FALLBACK_QUOTA_EXCEEDED: 413,
  LIVE_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  LIVE_ERR_FALLBACK_TOO_SLOW: 422,
  LIVE_ERR_TOO_MANY_UPLOADS: 429,
  LIVE_ERR_INTERNAL: 500,
  LIVE_ERR_STORE_UNAVAILABLE: 503,
  LIVE_ERR_FALLBACK_BUSY: 503,
  LIVE_ERR_PLAYBACK_SIGNING_DISABLED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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

/** Base of every error the API answers with; the code fixes the status. */
export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;

  get statusCode(): number {
    return ERROR_STATUS[this.code];
  }

  /** Headers the answer carries besides the body. */
  get headers(): Record<string, string> {
    return {};
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Quotes a client-supplied value for a message, cut short so a huge value cannot bloat it. */
export function quote(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

export class ValidationError extends ApiError {
  readonly code = 'LIVE_ERR_VALIDATION';
  constructor(
    readonly field: string,
    problem: string,
    value?: { got: unknown },
  ) {
    super(value ? `${field} ${problem}; got ${quote(value.got)}` : `${field} ${problem}`);
  }
}

export class MalformedRequestError extends ApiError {
  readonly code = 'LIVE_ERR_MALFORMED_REQUEST';
}

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

/** No token, or one that is malformed, unknown, revoked or wrong; the message never echoes it. */
export class UnauthorizedError extends ApiError {
  readonly code = 'LIVE_ERR_UNAUTHORIZED';
  private readonly realm: string;
  constructor(
    readonly reason: 'missing' | 'invalid',
    credential: keyof typeof CREDENTIALS = 'apiToken',
  ) {
    super(CREDENTIALS[credential][reason]);
    this.realm = CREDENTIALS[credential].realm;
  }

  override get headers(): Record<string, string> {
    const challenge = this.reason === 'missing' ? `Bearer realm="${this.realm}"` : `Bearer realm="${this.realm}", error="invalid_token"`;
    return { 'www-authenticate': challenge };
  }
}

export class ForbiddenError extends ApiError {
  readonly code = 'LIVE_ERR_FORBIDDEN';
}

/** The message never echoes what was sent: it may be a (mistyped or stolen) stream key. */
export class PublishDeniedError extends ApiError {
  readonly code = 'LIVE_ERR_PUBLISH_DENIED';
  constructor() {
    super('this stream key or name may not publish: it is unknown, revoked or not in ALLOWED_STREAMS');
  }
}

export class AlreadyPublishingError extends ApiError {
  readonly code = 'LIVE_ERR_ALREADY_PUBLISHING';
  constructor(readonly stream: string) {
    super(`stream ${quote(stream)} already has a live publisher; the new publish is refused`);
  }
}

export class RouteNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_ROUTE_NOT_FOUND';
  constructor(method: string, path: string) {
    super(`no route for ${method} ${quote(path)}`);
  }
}

export class StreamNotLiveError extends ApiError {
  readonly code = 'LIVE_ERR_STREAM_NOT_LIVE';
  constructor(readonly streamName: string) {
    super(`stream ${quote(streamName)} is not live: no origin has reported it within its TTL`);
  }
}

/** Also the answer for another user's stream: its existence is not revealed. */
export class StreamNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_STREAM_NOT_FOUND';
  constructor(readonly streamId: string) {
    super(`stream ${quote(streamId)} does not exist`);
  }
}

export class UserNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_USER_NOT_FOUND';
  constructor(readonly userId: string) {
    super(`user ${quote(userId)} does not exist`);
  }
}

export class TokenNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_TOKEN_NOT_FOUND';
  constructor(readonly tokenId: string) {
    super(`API token ${quote(tokenId)} does not exist`);
  }
}

/** Also the answer for a target of another user's stream. */
export class TargetNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_TARGET_NOT_FOUND';
  constructor(readonly targetId: string) {
    super(`restream target ${quote(targetId)} does not exist`);
  }
}

/** A restream target's host resolves to an address origins must not push to (SSRF guard). */
export class TargetAddressRefusedError extends ApiError {
  readonly code = 'LIVE_ERR_TARGET_ADDRESS_REFUSED';
  constructor(field: string, host: string, addressClass: string) {
    super(
      `${field} host ${quote(host)} resolves to a ${addressClass} address; restream targets must be ` +
        'reachable on the internet (the operator may allow private targets with ALLOW_PRIVATE_TARGETS=1)',
    );
  }
}

export class TooManyTargetsError extends ApiError {
  readonly code = 'LIVE_ERR_TOO_MANY_TARGETS';
  constructor(streamId: string, max: number) {
    super(`stream ${quote(streamId)} already has ${max} restream targets, the most RESTREAM_MAX_TARGETS allows`);
  }
}

export class FallbackNotFoundError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_NOT_FOUND';
  constructor(streamId: string) {
    super(`stream ${quote(streamId)} has no fallback video`);
  }
}

/** The upload is not a video ffmpeg can convert; the message names what was found instead. */
export class FallbackNotVideoError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_NOT_VIDEO';
  constructor(problem: string) {
    super(`the fallback upload is not a usable video: ${problem}`);
  }
}

/** The client stopped sending its upload for FALLBACK_UPLOAD_IDLE_SECONDS. */
export class UploadStalledError extends ApiError {
  readonly code = 'LIVE_ERR_UPLOAD_STALLED';
  constructor(idleSeconds: number) {
    super(`the upload sent nothing for ${idleSeconds} s (FALLBACK_UPLOAD_IDLE_SECONDS) and was given up`);
  }
}

/** The upload was still arriving after FALLBACK_UPLOAD_TIMEOUT_SECONDS. */
export class UploadTooSlowError extends ApiError {
  readonly code = 'LIVE_ERR_UPLOAD_TOO_SLOW';
  constructor(timeoutSeconds: number) {
    super(`the upload took longer than FALLBACK_UPLOAD_TIMEOUT_SECONDS=${timeoutSeconds} and was given up; upload a smaller file or from a faster connection`);
  }
}

export class FallbackInProgressError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_IN_PROGRESS';
  constructor(streamId: string) {
    super(`a fallback video for stream ${quote(streamId)} is already being converted; retry when it is done`);
  }
}

export class FallbackTooSlowError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_TOO_SLOW';
  constructor(timeoutSeconds: number) {
    super(`the conversion did not finish within FALLBACK_CONVERT_TIMEOUT_SECONDS=${timeoutSeconds}; upload a shorter or smaller video`);
  }
}

/** Every upload this API instance takes at once (FALLBACK_MAX_UPLOADS) is under way. */
export class FallbackBusyError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_BUSY';
  constructor(
    max: number,
    private readonly retryAfterSeconds: number,
  ) {
    super(`this API is already taking ${max} fallback uploads (FALLBACK_MAX_UPLOADS); retry in ${retryAfterSeconds} s`);
  }

  override get headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/** The user already has FALLBACK_MAX_UPLOADS_PER_USER uploads under way. */
export class TooManyUploadsError extends ApiError {
  readonly code = 'LIVE_ERR_TOO_MANY_UPLOADS';
  constructor(max: number) {
    super(`you already have ${max} fallback uploads under way, the most FALLBACK_MAX_UPLOADS_PER_USER allows; retry when one is done`);
  }
}

export class TooManyStreamsError extends ApiError {
  readonly code = 'LIVE_ERR_TOO_MANY_STREAMS';
  constructor(max: number) {
    super(`you already have ${max} streams, the most MAX_STREAMS_PER_USER allows; delete one to create another`);
  }
}

export class TooManyTokensError extends ApiError {
  readonly code = 'LIVE_ERR_TOO_MANY_TOKENS';
  constructor(userId: string, max: number) {
    super(`user ${quote(userId)} already has ${max} API tokens, the most MAX_TOKENS_PER_USER allows; revoke one to create another`);
  }
}

/** Storing this fallback would take the user's fallback videos past FALLBACK_MAX_BYTES_PER_USER. */
export class FallbackQuotaExceededError extends ApiError {
  readonly code = 'LIVE_ERR_FALLBACK_QUOTA_EXCEEDED';
  constructor(usedBytes: number, newBytes: number | undefined, maxBytes: number) {
    super(
      newBytes === undefined
        ? `your fallback videos already take ${usedBytes} bytes, the most FALLBACK_MAX_BYTES_PER_USER=${maxBytes} allows; delete one first`
        : `this fallback video (${newBytes} bytes converted) and your others (${usedBytes} bytes) would exceed FALLBACK_MAX_BYTES_PER_USER=${maxBytes}`,
    );
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly code = 'LIVE_ERR_PAYLOAD_TOO_LARGE';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly code = 'LIVE_ERR_UNSUPPORTED_MEDIA_TYPE';
  constructor(contentType: string | undefined) {
    super(`content-type ${quote(contentType)} is not supported by this route`);
  }
}

/** An unexpected failure; its details go to the log, never to the client. */
export class InternalError extends ApiError {
  readonly code = 'LIVE_ERR_INTERNAL';
  constructor(override readonly cause: unknown) {
    super('internal error');
  }
}

export class StoreUnavailableError extends ApiError {
  readonly code = 'LIVE_ERR_STORE_UNAVAILABLE';
  constructor(override readonly cause: unknown) {
    super(`store (Redis) is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** PLAYBACK_SIGNING_KEY is unset: this API cannot sign playback tokens (an operator's choice, not a retry). */
export class PlaybackSigningDisabledError extends ApiError {
  readonly code = 'LIVE_ERR_PLAYBACK_SIGNING_DISABLED';
  constructor() {
    super('signed playback is not configured: the operator must set PLAYBACK_SIGNING_KEY on the API and every edge');
  }
}
