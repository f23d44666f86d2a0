import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import { PullClaim, PullClaimAnswer } from '../../../../internal-api/src/pull-contract.js';
import { errorResponses } from '../../errors.js';
import { streamKeys } from '../../publish/stream-key.js';
import type { PullStore } from '../../store/pull-store.js';
import type { StreamStore } from '../../store/stream-store.js';

export interface PullClaimRoutesOptions {
  pulls: Pick<PullStore, 'claim'>;
  streams: Pick<StreamStore, 'credentials'>;
  leaseSeconds: number;
}

/**
 * Internal: origins claim pull sources every PULL_POLL_SECONDS. Each pull goes to one origin at a
 * time (a lease renewed by its claims); the answer carries what it needs to publish it, the URL
 * and the stream's RTMP key, which only this listener ever sends.
 */
export const pullClaimRoutes: FastifyPluginAsyncTypebox<PullClaimRoutesOptions> = async (app, { pulls, streams, leaseSeconds }) => {
  app.post(
    INTERNAL_PATHS.pullClaim,
    {
      schema: {
        summary: "An origin's pulls from now on (leased for PULL_LEASE_SECONDS), with their URLs and publish keys; it reports each one's status",
        body: PullClaim,
        response: { 200: PullClaimAnswer, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const { origin_id: originId, max, statuses } = request.body;
      const claimed = await pulls.claim(
        originId,
        max,
        statuses.map((status) => ({ stream: status.stream, state: status.state, since: status.since, attempts: status.attempts, lastError: status.last_error })),
      );
      const answered = await Promise.all(
        claimed.map(async ({ stream, url }) => {
          const credentials = await streams.credentials(stream);
          const rtmp = credentials && streamKeys(stream, credentials.secrets).find((key) => key.protocol === 'rtmp');
          return rtmp ? [{ stream, url, stream_key: rtmp.stream_key }] : [];
        }),
      );
      return { pulls: answered.flat(), lease_seconds: leaseSeconds };
    },
  );
};
