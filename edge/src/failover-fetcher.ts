import { OriginTimeoutError, OriginUnreachableError } from './errors.js';
import type { OriginFetcher, OriginRequest, OriginResponse } from './origin-client.js';
import type { RouteResolver } from './route-resolver.js';

/**
 * Tries a second origin when the first one cannot answer (refused, unreachable, timed out) and the
 * API listed another one for the stream: the resolver then avoids the failed origin for a while,
 * so later requests go straight to the one that works.
 */
export class FailoverFetcher implements OriginFetcher {
  constructor(
    private readonly origins: OriginFetcher,
    private readonly resolver: Pick<RouteResolver, 'originFailed'>,
  ) {}

  async fetch(request: OriginRequest): Promise<OriginResponse> {
    try {
      return await this.origins.fetch(request);
    } catch (error) {
      if (!(error instanceof OriginUnreachableError || error instanceof OriginTimeoutError) || request.signal.aborted) throw error;
      const next = this.resolver.originFailed(request.stream, request.origin);
      if (next === undefined || next.origin === request.origin) throw error;
      return this.origins.fetch({ ...request, origin: next.origin });
    }
  }
}
