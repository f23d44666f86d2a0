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
    .type('application/json; charset=utf-8')
    .send(error.toBody());
}
