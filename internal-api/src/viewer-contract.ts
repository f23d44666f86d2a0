import { Type, type Static } from 'typebox';
import { StreamName } from './fields.js';
import { STREAM_NAME_PATTERN } from './stream-name.js';

/** Bounds of one edge's batch: what one edge sees in a second, with room to spare. */
export const MAX_BATCH_STREAMS = 1000;
export const MAX_BATCH_SESSIONS = 10_000;

/** A viewing session as the edge names it (no cookies: the edge makes the id). */
export const ViewerSessionId = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,64}$',
  description: "A viewing session's id: 8-64 of A-Z a-z 0-9 _ -",
});

/** `POST /views`: the sessions an edge saw per stream since its last batch, about once a second. */
export const SightingBatch = Type.Object({
  streams: Type.Record(Type.String({ pattern: STREAM_NAME_PATTERN }), Type.Array(ViewerSessionId, { maxItems: MAX_BATCH_SESSIONS }), {
    maxProperties: MAX_BATCH_STREAMS,
    // patternProperties alone lets other keys through unchecked; propertyNames refuses them.
    propertyNames: { pattern: STREAM_NAME_PATTERN },
    description:
      `Stream name -> the sessions that made a request for it since the edge's last batch; at most ` +
      `${MAX_BATCH_STREAMS} streams and ${MAX_BATCH_SESSIONS} session ids in all`,
  }),
});
export type SightingBatch = Static<typeof SightingBatch>;

export const ViewsParams = Type.Object({ name: StreamName });

/** `GET /streams/{name}/views`: the live count the edge serves publicly (as Cloudflare Stream's `/views`). */
export const LiveViewers = Type.Object({
  liveViewers: Type.Integer({ minimum: 0, description: 'Viewing sessions with a request within VIEWER_IDLE_SECONDS, across all edges' }),
});
export type LiveViewers = Static<typeof LiveViewers>;
