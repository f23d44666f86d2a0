import { Type, type Static } from '@fastify/type-provider-typebox';
import { createError, quote } from '../../service-kit/src/live-error.js';

/**
 * The errors the edge answers with, each declared with service-kit's createError: its code (in
 * the one LIVE_ERR_* namespace, service-kit/src/live-error.ts, shared with the API and the origin)
 * fixes its status.
 */

/** The JSON body of every error reply. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** The path is malformed or tries to escape its folder (traversal, encoded or doubled slashes). */
export class InvalidPathError extends createError('LIVE_ERR_INVALID_PATH', (path: string, reason: string) => `path ${quote(path)} is refused: ${reason}`) {}

/** A request the framework could not parse (malformed percent-encoding and the like). */
export class MalformedRequestError extends createError('LIVE_ERR_MALFORMED_REQUEST', (detail: string) => `bad request: ${detail}`) {}

/** A well-formed path that is not `/<stream>/<media file>`. */
export class RouteNotFoundError extends createError('LIVE_ERR_ROUTE_NOT_FOUND', (method: string, path: string) => `no route for ${method} ${quote(path)}`) {}

/** No origin serves the stream: the API's answer, or what the edge concluded from it. */
export class StreamNotLiveError extends createError('LIVE_ERR_STREAM_NOT_LIVE', (stream: string) => `stream ${quote(stream)} is not live`) {
  /**
   * The stream exists but nothing is live (the API's `not-live`, or an ended stream past its
   * grace), rather than no such stream: its playlists answer 204 No Content (seed 004's live input
   * URL), its other files 404.
   */
  offline = false;
}

/** A StreamNotLiveError for a stream that exists (see `offline`). */
export function streamOffline(stream: string): StreamNotLiveError {
  const error = new StreamNotLiveError(stream);
  error.offline = true;
  return error;
}

/** `/videos/<uid>/…` of a video the API does not know (never recorded, deleted, its stream gone). */
export class VideoNotFoundError extends createError('LIVE_ERR_VIDEO_NOT_FOUND', (uid: string) => `video ${quote(uid)} does not exist`) {}

/** The stream is live but its origin has no such file (yet, or any more). */
export class MediaNotFoundError extends createError(
  'LIVE_ERR_MEDIA_NOT_FOUND',
  (stream: string, file: string) => `file ${quote(file)} of stream ${quote(stream)} is not on its origin`,
) {}

/** A `Range` that starts past the end of the file. */
export class RangeNotSatisfiableError extends createError(
  'LIVE_ERR_RANGE_NOT_SATISFIABLE',
  (range: string, size: number) => `range ${quote(range)} is outside the file's ${size} bytes`,
) {
  constructor(range: string, size: number) {
    super(range, size);
    this.headers = { 'content-range': `bytes */${size}` };
  }
}

/** The stream requires signed URLs and the request carries no `token`. */
export class PlaybackTokenRequiredError extends createError(
  'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED',
  (stream: string) => `stream ${quote(stream)} requires a signed URL: add ?token=<playback token>`,
) {}

/** A token that is not a valid playback token (malformed, bad signature, wrong algorithm ...). */
export class PlaybackTokenInvalidError extends createError(
  'LIVE_ERR_PLAYBACK_TOKEN_INVALID',
  (stream: string, reason: string) => `the playback token for stream ${quote(stream)} is invalid: ${reason}`,
) {}

export class PlaybackTokenExpiredError extends createError(
  'LIVE_ERR_PLAYBACK_TOKEN_EXPIRED',
  (stream: string, expiredAtMs: number) => `the playback token for stream ${quote(stream)} expired at ${new Date(expiredAtMs).toISOString()}`,
) {}

/** A validly signed token for another stream. */
export class PlaybackTokenWrongStreamError extends createError(
  'LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM',
  (stream: string) => `the playback token was issued for another stream than ${quote(stream)}`,
) {}

/** The stream's allowed_origins do not include the page (Origin or Referer) the request comes from. */
export class OriginNotAllowedError extends createError('LIVE_ERR_ORIGIN_NOT_ALLOWED', (stream: string, page: string | undefined) =>
  page === undefined
    ? `stream ${quote(stream)} plays only on its allowed origins, and the request names no page (Origin or Referer)`
    : `stream ${quote(stream)} does not play on ${quote(page)}`,
) {}

/** The route API cannot be asked and the edge knows no usable origin for the stream. */
export class RouteApiUnavailableError extends createError(
  'LIVE_ERR_ROUTE_API_UNAVAILABLE',
  (stream: string, reason: string) => `no origin known for stream ${quote(stream)}: ${reason}`,
) {}

/**
 * One failed question to the route API (unreachable, timed out, 5xx, unreadable answer). The
 * route resolver turns it into a stale route or a RouteApiUnavailableError; clients never see it.
 */
export class RouteLookupError extends createError(
  'LIVE_ERR_ROUTE_LOOKUP_FAILED',
  (stream: string, reason: string) => `route lookup for stream ${quote(stream)} failed: ${reason}`,
) {}

/** Another request to the API (viewer sightings, a live viewer count) failed. */
export class ApiRequestFailedError extends createError('LIVE_ERR_API_UNAVAILABLE', (request: string, reason: string) => `${request}: ${reason}`) {}

/** The origin could not be reached or broke the connection. Its address is for logs, not for viewers. */
export class OriginUnreachableError extends createError(
  'LIVE_ERR_ORIGIN_UNREACHABLE',
  (stream: string, _origin: string) => `the origin of stream ${quote(stream)} is unreachable`,
) {
  constructor(
    stream: string,
    readonly origin: string,
    options: ErrorOptions = {},
  ) {
    super(stream, origin, options);
  }
}

/**
 * The origin answered, but not with something the edge may serve or cache: a status other than
 * 200 or 404, a body cut short, a playlist too large to hold. Its address is for logs.
 */
export class OriginBadAnswerError extends createError(
  'LIVE_ERR_ORIGIN_BAD_ANSWER',
  (stream: string, _origin: string, reason: string) => `the origin of stream ${quote(stream)} gave an unusable answer: ${reason}`,
) {
  constructor(
    stream: string,
    readonly origin: string,
    readonly reason: string,
    options: ErrorOptions = {},
  ) {
    super(stream, origin, reason, options);
  }
}

export class OriginTimeoutError extends createError(
  'LIVE_ERR_ORIGIN_TIMEOUT',
  (stream: string, _origin: string, timeoutMs: number) => `the origin of stream ${quote(stream)} did not answer within ${timeoutMs} ms`,
) {
  constructor(
    stream: string,
    readonly origin: string,
    timeoutMs: number,
    options: ErrorOptions = {},
  ) {
    super(stream, origin, timeoutMs, options);
  }
}

/**
 * The viewer closed its connection before the answer was sent. Nobody reads the reply: the status
 * (nginx's 499) is for logs and metrics.
 */
export class ClientClosedError extends createError(
  'LIVE_ERR_CLIENT_CLOSED',
  (stream: string) => `the viewer of stream ${quote(stream)} closed the connection before the answer`,
) {}

export class InternalError extends createError('LIVE_ERR_INTERNAL', () => 'internal error') {}

/** An `ll.m3u8` request whose `_HLS_msn`, `_HLS_part` or `_HLS_skip` is malformed; the origin is not asked. */
export class DeliveryDirectiveError extends createError(
  'LIVE_ERR_DELIVERY_DIRECTIVE',
  (stream: string, reason: string) => `bad delivery directive for stream ${quote(stream)}: ${reason}`,
) {}

/** The origin held a blocking `ll.m3u8` request, or one for the hinted part, three target durations in vain. */
export class PlaylistUpdateTimeoutError extends createError(
  'LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT',
  (stream: string, reason: string) => `stream ${quote(stream)}: ${reason}`,
) {}

/** The origin holds as many blocked requests for the stream as it takes. */
export class TooManyBlockedRequestsError extends createError(
  'LIVE_ERR_TOO_MANY_BLOCKED_REQUESTS',
  (stream: string, reason: string) => `stream ${quote(stream)}: ${reason}`,
) {}

/** A thumbnail's `time` or `height` is malformed or out of bounds; the origin is not asked. */
export class ThumbnailQueryError extends createError(
  'LIVE_ERR_THUMBNAIL_QUERY',
  (stream: string, reason: string) => `bad thumbnail query for ${quote(stream)}: ${reason}`,
) {}

/** Seconds before a thumbnail refused as busy is worth asking for again (the origin's own figure). */
const THUMBNAIL_RETRY_AFTER_SECONDS = 1;

/** The origin makes as many thumbnails as it takes and has as many waiting. */
export class ThumbnailBusyError extends createError('LIVE_ERR_THUMBNAIL_BUSY', (stream: string, reason: string) => `stream ${quote(stream)}: ${reason}`) {
  constructor(stream: string, reason: string) {
    super(stream, reason);
    this.headers = { 'retry-after': String(THUMBNAIL_RETRY_AFTER_SECONDS) };
  }
}
