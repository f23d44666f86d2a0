import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../errors.js';
import type { PublisherAudit } from '../../publish/publisher-audit.js';
import { DisplayName, OriginId, SessionId, StreamName } from '../../schemas.js';
import type { IngestStore } from '../../store/ingest-store.js';
import type { PublisherLeaseStore } from '../../store/publisher-lease-store.js';
import type { RestreamTargetStore } from '../../store/restream-target-store.js';

export interface IngestHeartbeatRoutesOptions {
  ingests: Pick<IngestStore, 'ttlSeconds' | 'record' | 'remove'>;
  leases: Pick<PublisherLeaseStore, 'release'>;
  audit: Pick<PublisherAudit, 'sessionsToDisconnect' | 'streamsGone'>;
  restream: Pick<RestreamTargetStore, 'versions'>;
}

/** A URL template for one protocol: its scheme, then somewhere `{stream_key}`. */
const urlTemplate = (schemes: string, example: string) =>
  Type.String({ maxLength: 512, pattern: `^(?:${schemes})://\\S*\\{stream_key\\}\\S*$`, description: `e.g. ${example}` });

/** More than any origin carries; bounds the work one heartbeat can cause. */
const MAX_PUBLISHES = 5000;

const Heartbeat = Type.Object({
  name: DisplayName,
  region: DisplayName,
  priority: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Lower is preferred' }),
  url_templates: Type.Object({
    rtmp: urlTemplate('rtmps?', 'rtmp://fsn1.ingest.example:1935/stream/{stream_key}'),
    srt: Type.Optional(urlTemplate('srt', 'srt://fsn1.ingest.example:1337?streamid={stream_key}')),
    websocket: Type.Optional(urlTemplate('wss?', 'wss://fsn1.ingest.example?stream_key={stream_key}')),
  }),
  load: Type.Object({
    streams: Type.Integer({ minimum: 0 }),
    bandwidth_bps: Type.Integer({ minimum: 0 }),
  }),
  publishes: Type.Array(
    Type.Object({
      session_id: SessionId,
      stream: StreamName,
      key_generation: Type.Integer({ minimum: 0, description: 'As /authorize answered' }),
    }),
    { maxItems: MAX_PUBLISHES },
  ),
  waiting: Type.Optional(
    Type.Array(StreamName, {
      maxItems: MAX_PUBLISHES,
      description: "Streams held here without a publisher (its fallback plays, or its pushes wait for the publisher's return)",
    }),
  ),
});

const HeartbeatAnswer = Type.Object({
  ttl_seconds: Type.Integer({ description: 'The origin is listed this long without another heartbeat' }),
  disconnect: Type.Array(Type.String(), { description: 'Session ids the origin must disconnect now' }),
  ended: Type.Array(Type.String(), {
    description:
      'Streams (of publishes or waiting) that no longer exist: the origin ends each for good now (publisher cut, ' +
      'fallback stopped, pushes closed, playlist ended, its fallback file removed), with no reconnect window',
  }),
  restream: Type.Record(StreamName, Type.Integer({ minimum: 0 }), {
    description:
      'The restream version of each reported stream; when it differs from the one the origin has, it fetches ' +
      'GET /internal/streams/{stream}/restream. 0: no targets and no fallback ever configured.',
  }),
});

const OriginParams = Type.Object({ origin_id: OriginId });

/** Internal: origins announce themselves and their publishers, and learn whom to cut. */
export const ingestHeartbeatRoutes: FastifyPluginAsyncTypebox<IngestHeartbeatRoutesOptions> = async (
  app,
  { ingests, leases, audit, restream },
) => {
  app.put(
    '/ingests/:origin_id',
    {
      schema: {
        summary:
          "Origin heartbeat: list it as an ingest server for INGEST_TTL_SECONDS, renew its publishers' leases, " +
          'name the restream version of each stream',
        params: OriginParams,
        body: Heartbeat,
        response: { 200: HeartbeatAnswer, ...errorResponses(400, 503) },
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
      const versions = await restream.versions(publishes.map((publish) => publish.stream));
      return { ttl_seconds: ingests.ttlSeconds, disconnect, ended, restream: Object.fromEntries(versions) };
    },
  );

  app.delete(
    '/ingests/:origin_id/publishes/:session_id',
    {
      schema: {
        summary: "A publisher left: release its stream's lease if it holds it; idempotent",
        params: Type.Object({ origin_id: OriginId, session_id: SessionId }),
        querystring: Type.Object({ stream: StreamName }),
        response: { 204: Type.Null(), ...errorResponses(400, 503) },
      },
    },
    async (request, reply) => {
      await leases.release(request.query.stream, request.params.session_id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/ingests/:origin_id',
    {
      schema: {
        summary: 'Origin shutting down: unlist it and release the leases of its last reported publishes; idempotent',
        params: OriginParams,
        response: { 204: Type.Null(), ...errorResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const last = await ingests.remove(request.params.origin_id);
      await Promise.all((last?.publishes ?? []).map((publish) => leases.release(publish.stream, publish.session_id)));
      return reply.code(204).send(null);
    },
  );
};
