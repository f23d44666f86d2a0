import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError, errorResponses } from '../../errors.js';
import { STREAM_NAME_PATTERN, StreamName } from '../../schemas.js';
import type { ViewerStore } from '../../store/viewer-store.js';

export interface ViewerCountRoutesOptions {
  viewers: Pick<ViewerStore, 'record' | 'liveViewers'>;
}

/** Bounds of one edge's batch: what one edge sees in a second, with room to spare. */
export const MAX_BATCH_STREAMS = 1000;
export const MAX_BATCH_SESSIONS = 10_000;

/** A viewing session as the edge names it (no cookies: the edge makes the id). */
const ViewerSessionId = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,64}$',
  description: "A viewing session's id: 8-64 of A-Z a-z 0-9 _ -",
});

const SightingBatch = Type.Object({
  streams: Type.Record(Type.String({ pattern: STREAM_NAME_PATTERN }), Type.Array(ViewerSessionId, { maxItems: MAX_BATCH_SESSIONS }), {
    maxProperties: MAX_BATCH_STREAMS,
    // patternProperties alone lets other keys through unchecked; propertyNames refuses them.
    propertyNames: { pattern: STREAM_NAME_PATTERN },
    description:
      `Stream name -> the sessions that made a request for it since the edge's last batch; at most ` +
      `${MAX_BATCH_STREAMS} streams and ${MAX_BATCH_SESSIONS} session ids in all`,
  }),
});

const LiveViewers = Type.Object({
  liveViewers: Type.Integer({ description: 'Viewing sessions with a request within VIEWER_IDLE_SECONDS, across all edges' }),
});

/**
 * Internal: each edge sends the sessions it saw, about once a second; the edge serves the live
 * count publicly (`GET <edge>/<stream>/views`, as Cloudflare Stream's `/views`).
 */
export const viewerCountRoutes: FastifyPluginAsyncTypebox<ViewerCountRoutesOptions> = async (app, { viewers }) => {
  app.post(
    '/views',
    {
      schema: {
        summary: 'Report the viewing sessions an edge saw per stream since its last report',
        body: SightingBatch,
        response: { 204: Type.Null(), ...errorResponses(400, 503) },
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
    '/streams/:name/views',
    {
      schema: {
        summary: "A stream's live viewer count (public through the edge)",
        params: Type.Object({ name: StreamName }),
        response: { 200: LiveViewers, ...errorResponses(400, 503) },
      },
    },
    async (request) => ({ liveViewers: await viewers.liveViewers(request.params.name) }),
  );
};
