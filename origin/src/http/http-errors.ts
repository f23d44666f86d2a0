import type { FastifyReply } from 'fastify';

/** Every error the origin's HTTP server answers with: code, HTTP status and meaning. */
export const HTTP_ERRORS = {
  /** No such route, or the file is not (or no longer) there. */
  LIVE_ERR_NOT_FOUND: 404,
  /** The stream or file name can never name an HLS file: traversal, encoded slash, `.tmp`, other types. */
  LIVE_ERR_INVALID_PATH: 400,
  LIVE_ERR_INTERNAL: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string };
}

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
export function sendError(reply: FastifyReply, code: HttpErrorCode, message: string): FastifyReply {
  const body: ErrorBody = { error: { code, message } };
  return reply
    .code(HTTP_ERRORS[code])
    .header('access-control-allow-origin', '*')
    .header('cache-control', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(body);
}
