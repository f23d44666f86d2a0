import { Type, type Static } from '@fastify/type-provider-typebox';

/** Every error code the API answers with, and the HTTP status it goes with. */
export const ERROR_STATUS = {
  LIVE_ERR_VALIDATION: 400,
  LIVE_ERR_MALFORMED_REQUEST: 400,
  LIVE_ERR_UNAUTHORIZED: 401,
  LIVE_ERR_FORBIDDEN: 403,
  LIVE_ERR_PUBLISH_DENIED: 403,
  LIVE_ERR_ROUTE_NOT_FOUND: 404,
  LIVE_ERR_STREAM_NOT_LIVE: 404,
  LIVE_ERR_STREAM_NOT_FOUND: 404,
  LIVE_ERR_USER_NOT_FOUND: 404,
  LIVE_ERR_TOKEN_NOT_FOUND: 404,
  LIVE_ERR_ALREADY_PUBLISHING: 409,
  LIVE_ERR_PAYLOAD_TOO_LARGE: 413,
  LIVE_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  LIVE_ERR_INTERNAL: 500,
  LIVE_ERR_STORE_UNAVAILABLE: 503,
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
  401: 'No API token, or a malformed, unknown or revoked one',
  403: 'Not allowed',
  404: 'No such resource (or not yours)',
  409: 'Conflicts with the current state',
  503: 'Redis is unavailable; retry',
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

/** No token, or one that is malformed, unknown or revoked; the message never echoes it. */
export class UnauthorizedError extends ApiError {
  readonly code = 'LIVE_ERR_UNAUTHORIZED';
  constructor(readonly reason: 'missing' | 'invalid') {
    super(
      reason === 'missing'
        ? 'an API token is required: send "Authorization: Bearer <token>"'
        : 'the API token is malformed, unknown or revoked',
    );
  }

  override get headers(): Record<string, string> {
    const challenge = this.reason === 'missing' ? 'Bearer realm="livestack"' : 'Bearer realm="livestack", error="invalid_token"';
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
