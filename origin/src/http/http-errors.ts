import type { FastifyReply } from 'fastify';
import { LiveError, createError, quote } from '../../../service-kit/src/live-error.js';

/**
 * The errors the origin's HTTP server answers with, declared with service-kit's createError: the
 * codes (and so the statuses) are the platform's, the same as the edge's for the same failure.
 */

/** No route for this method and path. */
export class RouteNotFoundError extends createError('LIVE_ERR_ROUTE_NOT_FOUND', (method: string, url: string) => `no route for ${method} ${quote(url)}`) {}

/** The stream's playlist or segment is not (or no longer) here. */
export class MediaNotFoundError extends createError('LIVE_ERR_MEDIA_NOT_FOUND', (path: string) => `${path} does not exist`) {}

/** The stream or file name can never name an HLS file: traversal, encoded slash, `.tmp`, other types. */
export class InvalidPathError extends createError('LIVE_ERR_INVALID_PATH', (reason: string) => reason) {}

/** `_HLS_msn`, `_HLS_part` or `_HLS_skip` is malformed, or asks for a part too far ahead. */
export class DeliveryDirectiveError extends createError('LIVE_ERR_DELIVERY_DIRECTIVE', (reason: string) => reason) {}

/** A blocked request's part did not come within three target durations: hls.js retries without directives. */
export class PlaylistUpdateTimeoutError extends createError(
  'LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT',
  (path: string, seconds: number) => `${path} did not get the requested part within ${seconds} s`,
) {}

/** The stream holds as many blocked requests as it takes. */
export class TooManyBlockedRequestsError extends createError(
  'LIVE_ERR_TOO_MANY_BLOCKED_REQUESTS',
  (stream: string, limit: number) => `stream ${quote(stream)} already holds ${limit} blocked requests`,
) {}

/** A thumbnail's query is malformed (see internal-api/src/thumbnail-query.ts). */
export class ThumbnailQueryError extends createError('LIVE_ERR_THUMBNAIL_QUERY', (reason: string) => reason) {}

/** Seconds a client waits before asking again for a thumbnail refused as busy: about one thumbnail's making. */
export const THUMBNAIL_RETRY_AFTER_SECONDS = 1;

/** Every thumbnail place (running and waiting) is taken. */
export class ThumbnailBusyError extends createError('LIVE_ERR_THUMBNAIL_BUSY', (limit: number) => `${limit} thumbnails already wait to be made here: retry later`) {
  constructor(limit: number) {
    super(limit);
    this.headers = { 'retry-after': String(THUMBNAIL_RETRY_AFTER_SECONDS) };
  }
}

/** ffmpeg failed on the segment, found no picture in it, or ran past THUMBNAIL_TIMEOUT_MS. */
export class ThumbnailFailedError extends createError('LIVE_ERR_THUMBNAIL_FAILED', (path: string, detail: string) => `no thumbnail of ${path}: ${detail}`) {}

/** A request for media without the edges' shared secret (ORIGIN_SECRET): only edges fetch from an origin. */
export class EdgeSecretRequiredError extends createError(
  'LIVE_ERR_FORBIDDEN',
  () => 'this origin serves edges only: play through an edge (the request lacks the edges\' secret)',
) {}

/** An unexpected failure; its details are logged, never answered. */
export class InternalError extends createError('LIVE_ERR_INTERNAL', () => 'internal error') {}

/** JSON schema of every error response. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/**
 * Sends an error. Errors are never cached (a playlist that is missing now may exist in a second)
 * and carry the CORS header too, because framework errors skip the hooks that add it.
 */
export function sendError(reply: FastifyReply, error: LiveError): FastifyReply {
  return reply
    .code(error.statusCode)
    .header('access-control-allow-origin', '*')
    .header('cache-control', 'no-cache')
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(error.toBody());
}
