import type { FastifyRequest } from 'fastify';
import { INTERNAL_TOKEN_QUERY_PARAMETER } from '../../../internal-api/src/internal-token.js';
import { secretsEqual } from '../constant-time.js';
import { UnauthorizedError } from '../errors.js';
import { bearerToken } from './bearer.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route also takes INTERNAL_TOKEN as `?internal_token=`: nginx-rtmp's `on_publish` cannot
     * send headers. Only `/authorize` sets it; request logs never carry query strings.
     */
    internalTokenInQuery?: boolean;
  }
}

/**
 * An onRequest hook that lets a request through only with INTERNAL_TOKEN, or during a rotation
 * INTERNAL_TOKEN_PREVIOUS (compared in constant time). It runs before the body is read or validated: a caller without the token learns nothing
 * and changes nothing, not even by a 400.
 */
export function internalTokenGuard(expected: string, previous?: string) {
  return async (request: FastifyRequest): Promise<void> => {
    let presented = bearerToken(request.headers.authorization);
    if (presented === undefined && request.routeOptions.config.internalTokenInQuery) {
      const value = (request.query as Record<string, unknown> | undefined)?.[INTERNAL_TOKEN_QUERY_PARAMETER];
      if (typeof value === 'string') presented = value;
    }
    if (presented === undefined) throw new UnauthorizedError('missing', 'internalToken');
    // Both compared every time, so the answer's timing does not tell which one matched.
    const current = secretsEqual(presented, expected);
    const old = previous !== undefined && secretsEqual(presented, previous);
    if (!current && !old) throw new UnauthorizedError('invalid', 'internalToken');
  };
}
