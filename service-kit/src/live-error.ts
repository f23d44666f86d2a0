/**
 * The errors every service answers with over HTTP: one code namespace and one way to declare an
 * error, as fastify's `createError(code, message, status)`. A code means the same thing in every
 * service (the edge's "not live" is the API's "not live"); its HTTP status is fixed here.
 * Failures that never reach an HTTP answer (a push's, a client's) keep their own classes.
 */
export const LIVE_ERRORS = {
  /** A field is invalid; the message names it and the value it got. */
  LIVE_ERR_VALIDATION: 400,
  /** The request could not be read at all (bad JSON, bad percent-encoding, a header too large). */
  LIVE_ERR_MALFORMED_REQUEST: 400,
  /** A media path that can never name a file: traversal, encoded or doubled slashes, other characters. */
  LIVE_ERR_INVALID_PATH: 400,
  LIVE_ERR_TARGET_ADDRESS_REFUSED: 400,
  LIVE_ERR_FALLBACK_NOT_VIDEO: 400,
  /** An LL-HLS playlist request whose _HLS_msn/_HLS_part/_HLS_skip is malformed or asks too far ahead (RFC 8216bis 6.2.5.2). */
  LIVE_ERR_DELIVERY_DIRECTIVE: 400,
  /** A thumbnail's `time` or `height` is malformed or out of bounds. */
  LIVE_ERR_THUMBNAIL_QUERY: 400,
  /** No token, or a wrong one (an API token, INTERNAL_TOKEN). */
  LIVE_ERR_UNAUTHORIZED: 401,
  LIVE_ERR_PLAYBACK_TOKEN_REQUIRED: 401,
  LIVE_ERR_PLAYBACK_TOKEN_INVALID: 401,
  LIVE_ERR_PLAYBACK_TOKEN_EXPIRED: 401,
  LIVE_ERR_FORBIDDEN: 403,
  LIVE_ERR_PUBLISH_DENIED: 403,
  LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM: 403,
  LIVE_ERR_ORIGIN_NOT_ALLOWED: 403,
  /** No route for this method and path. */
  LIVE_ERR_ROUTE_NOT_FOUND: 404,
  /** No origin serves the stream (now): nothing to play. */
  LIVE_ERR_STREAM_NOT_LIVE: 404,
  /** The stream does not exist (or is not the caller's). */
  LIVE_ERR_STREAM_NOT_FOUND: 404,
  /** The stream is served, but not this playlist or segment (not yet, or no longer). */
  LIVE_ERR_MEDIA_NOT_FOUND: 404,
  LIVE_ERR_USER_NOT_FOUND: 404,
  LIVE_ERR_TOKEN_NOT_FOUND: 404,
  LIVE_ERR_TARGET_NOT_FOUND: 404,
  LIVE_ERR_FALLBACK_NOT_FOUND: 404,
  /** The stream has no pull source. */
  LIVE_ERR_PULL_NOT_FOUND: 404,
  /** The video does not exist, was deleted, its stream is gone, or it is not the caller's. */
  LIVE_ERR_VIDEO_NOT_FOUND: 404,
  LIVE_ERR_UPLOAD_STALLED: 408,
  LIVE_ERR_UPLOAD_TOO_SLOW: 408,
  LIVE_ERR_ALREADY_PUBLISHING: 409,
  /** A report names another stream than the one the video was first reported with. */
  LIVE_ERR_VIDEO_STREAM_MISMATCH: 409,
  LIVE_ERR_TOO_MANY_TARGETS: 409,
  /** The stream has a pull source already: one per stream. */
  LIVE_ERR_PULL_EXISTS: 409,
  LIVE_ERR_TOO_MANY_STREAMS: 409,
  LIVE_ERR_TOO_MANY_TOKENS: 409,
  LIVE_ERR_FALLBACK_IN_PROGRESS: 409,
  LIVE_ERR_PAYLOAD_TOO_LARGE: 413,
  LIVE_ERR_FALLBACK_QUOTA_EXCEEDED: 413,
  LIVE_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  LIVE_ERR_RANGE_NOT_SATISFIABLE: 416,
  LIVE_ERR_FALLBACK_TOO_SLOW: 422,
  LIVE_ERR_TOO_MANY_UPLOADS: 429,
  /** The client left before the answer (nginx's 499): for logs and metrics, nobody reads it. */
  LIVE_ERR_CLIENT_CLOSED: 499,
  /** An unexpected failure; its details are logged, never answered. */
  LIVE_ERR_INTERNAL: 500,
  /** ffmpeg could not make a thumbnail of the segment (it failed, found no picture, or ran out of time). */
  LIVE_ERR_THUMBNAIL_FAILED: 500,
  LIVE_ERR_ORIGIN_UNREACHABLE: 502,
  LIVE_ERR_ORIGIN_BAD_ANSWER: 502,
  LIVE_ERR_STORE_UNAVAILABLE: 503,
  LIVE_ERR_FALLBACK_BUSY: 503,
  LIVE_ERR_PLAYBACK_SIGNING_DISABLED: 503,
  /** The edge cannot ask the API where a stream is and knows no usable origin for it. */
  LIVE_ERR_ROUTE_API_UNAVAILABLE: 503,
  /** One question to the API about a route failed (the edge falls back to a known route). */
  LIVE_ERR_ROUTE_LOOKUP_FAILED: 503,
  /** Another request to the API failed (viewer sightings, a live count). */
  LIVE_ERR_API_UNAVAILABLE: 503,
  /** A blocking playlist request waited three target durations for its part in vain (RFC 8216bis 6.2.5.2). */
  LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT: 503,
  /** A stream holds as many blocked playlist and part requests as it takes; the edge coalesces them. */
  LIVE_ERR_TOO_MANY_BLOCKED_REQUESTS: 503,
  /** The origin makes as many thumbnails as it takes and has as many waiting: retry after Retry-After. */
  LIVE_ERR_THUMBNAIL_BUSY: 503,
  LIVE_ERR_ORIGIN_TIMEOUT: 504,
} as const;

export type LiveErrorCode = keyof typeof LIVE_ERRORS;

/** The body of every error answer. */
export interface LiveErrorBody {
  error: { code: LiveErrorCode; message: string };
}

/** Base of every error a service answers with; the code fixes the status. */
export abstract class LiveError extends Error {
  abstract readonly code: LiveErrorCode;
  /** Headers the answer carries besides the JSON body (a challenge, Retry-After, cache headers). */
  headers: Record<string, string> = {};

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  get statusCode(): number {
    return LIVE_ERRORS[this.code];
  }

  toBody(): LiveErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * An error class for `code` whose message is made from the constructor's arguments, as fastify's
 * `createError(code, message, status)`: declare each error as
 * `class StreamNotLiveError extends createError('LIVE_ERR_STREAM_NOT_LIVE', (stream: string) => …) {}`
 * and throw `new StreamNotLiveError(stream)`. One argument past the message's own is the
 * ErrorOptions (`{ cause }`). An error that carries more (a field, headers) adds it in a
 * constructor of its own.
 */
export function createError<const C extends LiveErrorCode, A extends unknown[]>(code: C, message: (...args: A) => string) {
  return class extends LiveError {
    readonly code: C = code;
    constructor(...args: A | [...A, ErrorOptions]) {
      const last = args.at(-1);
      const options = args.length > message.length && isErrorOptions(last) ? last : undefined;
      super(message(...((options ? args.slice(0, -1) : args) as A)), options);
    }
  };
}

function isErrorOptions(value: unknown): value is ErrorOptions {
  return typeof value === 'object' && value !== null && Object.keys(value).every((key) => key === 'cause');
}

/** Longest client-supplied value quoted in a message, so a huge value cannot bloat answers or logs. */
const MAX_QUOTED_CHARS = 100;

/** A client-supplied value for a message, JSON-quoted and cut short. */
export function quote(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}
