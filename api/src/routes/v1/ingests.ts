import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../errors.js';
import { Protocol } from '../../schemas.js';
import type { IngestStore, LiveIngest } from '../../store/ingest-store.js';

export interface IngestRoutesOptions {
  ingests: Pick<IngestStore, 'live'>;
}

const IngestList = Type.Object({
  ingests: Type.Array(
    Type.Object({
      name: Type.String(),
      region: Type.String(),
      url_template: Type.String({ description: 'Replace {stream_key} with your stream key' }),
      priority: Type.Integer(),
    }),
  ),
});

/** Best first: configured priority, then fewest streams, then least bandwidth. */
function byPreference(a: LiveIngest, b: LiveIngest): number {
  return (
    a.heartbeat.priority - b.heartbeat.priority ||
    a.heartbeat.load.streams - b.heartbeat.load.streams ||
    a.heartbeat.load.bandwidth_bps - b.heartbeat.load.bandwidth_bps ||
    a.originId.localeCompare(b.originId)
  );
}

/** Ingest servers to publish to (seed 000): the origins whose heartbeats are current. */
export const ingestRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, { ingests }) => {
  app.get(
    '/ingests',
    {
      schema: {
        summary: 'Live ingest servers for a protocol, best first',
        querystring: Type.Object({ protocol: Protocol }),
        response: { 200: IngestList, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => {
      const { protocol } = request.query;
      const live = (await ingests.live()).sort(byPreference);
      return {
        ingests: live.flatMap(({ heartbeat }) => {
          const template = heartbeat.url_templates[protocol];
          if (template === undefined) return [];
          return [{ name: heartbeat.name, region: heartbeat.region, url_template: template, priority: heartbeat.priority }];
        }),
      };
    },
  );
};
