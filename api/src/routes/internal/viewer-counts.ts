import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import { LiveViewers, MAX_BATCH_SESSIONS, SightingBatch, ViewsParams } from '../../../../internal-api/src/viewer-contract.js';
import { ValidationError, errorResponses } from '../../errors.js';
import type { ViewerStore } from '../../store/viewer-store.js';

export interface ViewerCountRoutesOptions {
  viewers: Pick<ViewerStore, 'record' | 'liveViewers'>;
}

/**
 * Internal: each edge sends the sessions it saw, about once a second; the edge serves the live
 * count publicly (`GET <edge>/<stream>/views`, as Cloudflare Stream's `/views`).
 */
export const viewerCountRoutes: FastifyPluginAsyncTypebox<ViewerCountRoutesOptions> = async (app, { viewers }) => {
  app.post(
    INTERNAL_PATHS.views,
    {
      schema: {
        summary: 'Report the viewing sessions an edge saw per stream since its last report',
        body: SightingBatch,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const sightings = new Map<string, Set<string>>();
      let total = 0;
      for (const [name, sessions] of Object.entries(request.body.streams)) {
        total += sessions.length;
        sightings.set(name, new Set(sessions));
      }
      if (total > MAX_BATCH_SESSIONS) {
        throw new ValidationError('body.streams', `must hold at most ${MAX_BATCH_SESSIONS} session ids in all; send a larger batch in parts`, {
          got: total,
        });
      }
      await viewers.record(sightings);
      return reply.code(204).send(null);
    },
  );

  app.get(
    INTERNAL_PATHS.streamViews,
    {
      schema: {
        summary: "A stream's live viewer count (public through the edge)",
        params: ViewsParams,
        response: { 200: LiveViewers, ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => ({ liveViewers: await viewers.liveViewers(request.params.name) }),
  );
};
