import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../errors.js';
import { StreamIdParams } from '../../schemas.js';
import type { StreamStore } from '../../store/stream-store.js';
import type { ViewerStore } from '../../store/viewer-store.js';
import { ownedStream } from './owned-stream.js';

export interface StreamViewRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  viewers: Pick<ViewerStore, 'totals'>;
}

/** Seed 004's live viewer count (Cloudflare's field name) and the stream's totals. */
const ViewCounts = Type.Object({
  liveViewers: Type.Integer({ description: 'Viewing sessions with a request within VIEWER_IDLE_SECONDS, across all edges' }),
  views: Type.Integer({ description: 'Viewing sessions started since the stream was created' }),
  time_viewed_s: Type.Integer({ description: 'Seconds watched, summed over every session' }),
});

export const streamViewRoutes: FastifyPluginAsyncTypebox<StreamViewRoutesOptions> = async (app, { streams, viewers }) => {
  app.get(
    '/streams/:id/views',
    {
      schema: {
        summary: 'How many watch your stream now, and how many sessions and seconds it has been watched',
        params: StreamIdParams,
        response: { 200: ViewCounts, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const { liveViewers, views, timeViewedMs } = await viewers.totals(id);
      return { liveViewers, views, time_viewed_s: Math.floor(timeViewedMs / 1000) };
    },
  );
};
