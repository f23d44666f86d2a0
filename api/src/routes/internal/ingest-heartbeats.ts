import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Heartbeat, HeartbeatAnswer, MAX_HEARTBEAT_BYTES, OriginParams, PublishParams, PublishQuery } from '../../../../internal-api/src/ingest-contract.js';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import { errorResponses } from '../../errors.js';
import type { PublisherAudit } from '../../publish/publisher-audit.js';
import type { IngestStore } from '../../store/ingest-store.js';
import type { PublisherLeaseStore } from '../../store/publisher-lease-store.js';
import type { RestreamTargetStore } from '../../store/restream-target-store.js';

export interface IngestHeartbeatRoutesOptions {
  ingests: Pick<IngestStore, 'ttlSeconds' | 'record' | 'remove'>;
  leases: Pick<PublisherLeaseStore, 'release' | 'publisherLeft'>;
  audit: Pick<PublisherAudit, 'sessionsToDisconnect' | 'streamsGone' | 'streamsHandedOver'>;
  restream: Pick<RestreamTargetStore, 'versions'>;
}

/** Internal: origins announce themselves and their publishers, and learn whom to cut. */
export const ingestHeartbeatRoutes: FastifyPluginAsyncTypebox<IngestHeartbeatRoutesOptions> = async (
  app,
  { ingests, leases, audit, restream },
) => {
  app.put(
    INTERNAL_PATHS.ingest,
    {
      bodyLimit: MAX_HEARTBEAT_BYTES,
      schema: {
        summary:
          "Origin heartbeat: list it as an ingest server for INGEST_TTL_SECONDS, renew the leases of its publishers and " +
          'of the streams it holds for their return, name the restream version of each stream',
        params: OriginParams,
        body: Heartbeat,
        response: { 200: HeartbeatAnswer, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const { origin_id: originId } = request.params;
      const { publishes, waiting = [] } = request.body;
      await ingests.record(originId, request.body);
      const [disconnect, ended] = await Promise.all([
        audit.sessionsToDisconnect(originId, publishes),
        audit.streamsGone([...publishes.map((publish) => publish.stream), ...waiting]),
      ]);
      if (disconnect.length > 0) request.log.info({ originId, sessions: disconnect }, 'publishers to disconnect');
      if (ended.length > 0) request.log.info({ originId, streams: ended }, 'deleted streams to end');
      const handedOver = await audit.streamsHandedOver(
        originId,
        waiting.filter((stream) => !ended.includes(stream)),
      );
      if (handedOver.length > 0) request.log.info({ originId, streams: handedOver }, 'streams whose publisher came back on another origin');
      const versions = await restream.versions(publishes.map((publish) => publish.stream));
      return {
        ttl_seconds: ingests.ttlSeconds,
        disconnect,
        ended,
        handed_over: handedOver,
        restream: Object.fromEntries(versions),
      };
    },
  );

  app.delete(
    INTERNAL_PATHS.ingestPublish,
    {
      schema: {
        summary:
          "A publisher left: its stream's lease, if it holds it, turns waiting: the next publisher takes it over on any " +
          'origin, and it lapses unless the origin reports the stream waiting; idempotent',
        params: PublishParams,
        querystring: PublishQuery,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      await leases.publisherLeft(request.query.stream, request.params.session_id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    INTERNAL_PATHS.ingest,
    {
      schema: {
        summary: 'Origin shutting down: unlist it and release the leases of its last reported publishes; idempotent',
        params: OriginParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const last = await ingests.remove(request.params.origin_id);
      await Promise.all((last?.publishes ?? []).map((publish) => leases.release(publish.stream, publish.session_id)));
      return reply.code(204).send(null);
    },
  );
};
