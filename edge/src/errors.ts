import { Type, type Static } from '@fastify/type-provider-typebox';

/** Every error the edge answers with, and its HTTP status. */
export const ERROR_STATUS = {
  LIVE_ERR_BAD_PATH: 400,
  LIVE_ERR_BAD_REQUEST: 400,
  LIVE_ERR_PLAYBACK_TOKEN_REQUIRED: 401,
  LIVE_ERR_PLAYBACK_TOKEN_INVALID: 401,
  LIVE_ERR_PLAYBACK_TOKEN_EXPIRED: 401,
  LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM: 403,
  LIVE_ERR_ORIGIN_NOT_ALLOWED: 403,
  LIVE_ERR_NOT_FOUND: 404,
  LIVE_ERR_STREAM_NOT_FOUND: 404,
  LIVE_ERR_MEDIA_NOT_FOUND: 404,
  LIVE_ERR_RANGE_NOT_SATISFIABLE: 416,
  LIVE_ERR_CLIENT_CLOSED: 499,
  LIVE_ERR_INTERNAL: 500,
  LIVE_ERR_ORIGIN_UNREACHABLE: 502,
  LIVE_ERR_ORIGIN_BAD_ANSWER: 502,
  LIVE_ERR_ROUTE_API_UNAVAILABLE: 503,
  LIVE_ERR_ROUTE_LOOKUP_FAILED: 503,
  LIVE_ERR_API_UNAVAILABLE: 503,
  LIVE_ERR_ORIGIN_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error reply. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** Longest client-supplied value quoted in a message, so a huge URL cannot bloat replies or logs. */
const MAX_QUOTED_LENGTH = 200;

function quote(value: string): string {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  return JSON.stringify(shown);
}

export abstract class EdgeError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Headers the error reply carries besides the JSON content type (cache headers, Content-Range). */
  replyHeaders: Record<string, string> = {};

  get statusCode(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The path is malformed or tries to escape its folder (traversal, encoded or doubled slashes). */
export class BadPathError extends EdgeError {
  readonly code = 'LIVE_ERR_BAD_PATH';
  constructor(path: string, reason: string) {
    super(`path ${quote(path)} is refused: ${reason}`);
  }
}

/** A request the framework could not parse (malformed percent-encoding and the like). */
export class BadRequestError extends EdgeError {
  readonly code = 'LIVE_ERR_BAD_REQUEST';
  constructor(detail: string) {
    super(`bad request: ${detail}`);
  }
}

/** A well-formed path that is not `/<stream>/<media file>`. */
export class NotFoundError extends EdgeError {
  readonly code = 'LIVE_ERR_NOT_FOUND';
  constructor(method: string, path: string) {
    super(`no route for ${method} ${quote(path)}`);
  }
}

export class StreamNotLiveError extends EdgeError {
  readonly code = 'LIVE_ERR_STREAM_NOT_FOUND';
  constructor(readonly stream: string) {
    super(`stream ${quote(stream)} is not live`);
  }
}

/** The stream is live but its origin has no such file (yet, or any more). */
export class MediaNotFoundError extends EdgeError {
  readonly code = 'LIVE_ERR_MEDIA_NOT_FOUND';
  constructor(stream: string, file: string) {
    super(`file ${quote(file)} of stream ${quote(stream)} is not on its origin`);
  }
}

/** A `Range` that starts past the end of the file. */
export class RangeNotSatisfiableError extends EdgeError {
  readonly code = 'LIVE_ERR_RANGE_NOT_SATISFIABLE';
  constructor(range: string, size: number) {
    super(`range ${quote(range)} is outside the file's ${size} bytes`);
    this.replyHeaders = { 'content-range': `bytes */${size}` };
  }
}

/** The stream requires signed URLs and the request carries no `token`. */
export class PlaybackTokenRequiredError extends EdgeError {
  readonly code = 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED';
  constructor(stream: string) {
    super(`stream ${quote(stream)} requires a signed URL: add ?token=<playback token>`);
  }
}

/** A token that is not a valid playback token (malformed, bad signature, wrong algorithm ...). */
export class PlaybackTokenInvalidError extends EdgeError {
  readonly code = 'LIVE_ERR_PLAYBACK_TOKEN_INVALID';
  constructor(stream: string, reason: string) {
    super(`the playback token for stream ${quote(stream)} is invalid: ${reason}`);
  }
}

export class PlaybackTokenExpiredError extends EdgeError {
  readonly code = 'LIVE_ERR_PLAYBACK_TOKEN_EXPIRED';
  constructor(stream: string, expiredAtMs: number) {
    super(`the playback token for stream ${quote(stream)} expired at ${new Date(expiredAtMs).toISOString()}`);
  }
}

/** A validly signed token for another stream. */
export class PlaybackTokenWrongStreamError extends EdgeError {
  readonly code = 'LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM';
  constructor(stream: string) {
    super(`the playback token was issued for another stream than ${quote(stream)}`);
  }
}

/** The stream's allowed_origins do not include the page (Origin or Referer) the request comes from. */
export class OriginNotAllowedError extends EdgeError {
  readonly code = 'LIVE_ERR_ORIGIN_NOT_ALLOWED';
  constructor(stream: string, page: string | undefined) {
    super(
      page === undefined
        ? `stream ${quote(stream)} plays only on its allowed origins, and the request names no page (Origin or Referer)`
        : `stream ${quote(stream)} does not play on ${quote(page)}`,
    );
  }
}

/** The route API cannot be asked and the edge knows no usable origin for the stream. */
export class RouteApiUnavailableError extends EdgeError {
  readonly code = 'LIVE_ERR_ROUTE_API_UNAVAILABLE';
  constructor(stream: string, reason: string, options?: ErrorOptions) {
    super(`no origin known for stream ${quote(stream)}: ${reason}`, options);
  }
}

/**
 * One failed question to the route API (unreachable, timed out, 5xx, unreadable answer). The
 * route resolver turns it into a stale route or a RouteApiUnavailableError; clients never see it.
 */
export class RouteLookupError extends EdgeError {
  readonly code = 'LIVE_ERR_ROUTE_LOOKUP_FAILED';
  constructor(stream: string, reason: string, options?: ErrorOptions) {
    super(`route lookup for stream ${quote(stream)} failed: ${reason}`, options);
  }
}

/** Another request to the API (viewer sightings, a live viewer count) failed. */
export class ApiRequestFailedError extends EdgeError {
  readonly code = 'LIVE_ERR_API_UNAVAILABLE';
  constructor(request: string, reason: string, options?: ErrorOptions) {
    super(`${request}: ${reason}`, options);
  }
}

/** The origin could not be reached or broke the connection. Its address is for logs, not for viewers. */
export class OriginUnreachableError extends EdgeError {
  readonly code = 'LIVE_ERR_ORIGIN_UNREACHABLE';
  constructor(
    stream: string,
    readonly origin: string,
    options?: ErrorOptions,
  ) {
    super(`the origin of stream ${quote(stream)} is unreachable`, options);
  }
}

/**
 * The origin answered, but not with something the edge may serve or cache: a status other than
 * 200 or 404, a body cut short, a playlist too large to hold. Its address is for logs.
 */
export class OriginBadAnswerError extends EdgeError {
  readonly code = 'LIVE_ERR_ORIGIN_BAD_ANSWER';
  constructor(
    stream: string,
    readonly origin: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`the origin of stream ${quote(stream)} gave an unusable answer: ${reason}`, options);
  }
}

export class OriginTimeoutError extends EdgeError {
  readonly code = 'LIVE_ERR_ORIGIN_TIMEOUT';
  constructor(
    stream: string,
    readonly origin: string,
    timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`the origin of stream ${quote(stream)} did not answer within ${timeoutMs} ms`, options);
  }
}

/**
 * The viewer closed its connection before the answer was sent. Nobody reads the reply: the status
 * (nginx's 499) is for logs and metrics.
 */
export class ClientClosedError extends EdgeError {
  readonly code = 'LIVE_ERR_CLIENT_CLOSED';
  constructor(stream: string, options?: ErrorOptions) {
    super(`the viewer of stream ${quote(stream)} closed the connection before the answer`, options);
  }
}

export class InternalError extends EdgeError {
  readonly code = 'LIVE_ERR_INTERNAL';
  constructor() {
    super('internal error');
  }
}
