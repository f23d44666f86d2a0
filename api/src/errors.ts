import { Type, type Static } from '@fastify/type-provider-typebox';

/** Every error code the API answers with, and the HTTP status it goes with. */
export const ERROR_STATUS = {
  LIVE_ERR_VALIDATION: 400,
  LIVE_ERR_MALFORMED_REQUEST: 400,
  LIVE_ERR_PUBLISH_DENIED: 403,
  LIVE_ERR_ROUTE_NOT_FOUND: 404,
  LIVE_ERR_STREAM_NOT_LIVE: 404,
  LIVE_ERR_PAYLOAD_TOO_LARGE: 413,
  LIVE_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  LIVE_ERR_INTERNAL: 500,
  LIVE_ERR_STORE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of every error response. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ pattern: '^LIVE_ERR_[A-Z_]+$' }),
    message: Type.String(),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** Base of every error the API answers with; the code fixes the status. */
export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;

  get statusCode(): number {
    return ERROR_STATUS[this.code];
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

export class PublishDeniedError extends ApiError {
  readonly code = 'LIVE_ERR_PUBLISH_DENIED';
  constructor(readonly streamName: string) {
    super(`stream name ${quote(streamName)} is not allowed to publish (see ALLOWED_STREAMS)`);
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
    super(`route store (Redis) is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
