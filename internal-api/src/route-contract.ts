import { Type, type Static } from 'typebox';
import { ManifestPath, OriginHost, StreamName, Timestamp, VideoUid } from './fields.js';

/** The longest an ended stream may stay playable (a day of DVR would be a recording, not this). */
export const MAX_ENDED_GRACE_SECONDS = 86_400;

export const RouteState = Type.Union([Type.Literal('live'), Type.Literal('ended')], {
  description: 'live: the playlist is growing; ended: it got ENDLIST (or went stale) and is kept playable for a grace period',
});

export const StreamParams = Type.Object({ name: StreamName });

/**
 * `POST /streams`: discovery's report (seed shape): the origin serves `name` at
 * `http://<host>/<name>/<manifest>`; with `state: ended` the playlist ended and stays served for
 * `grace_seconds` (default ROUTE_TTL_SECONDS).
 */
export const StreamReport = Type.Object({
  name: StreamName,
  manifest: ManifestPath,
  host: OriginHost,
  state: Type.Optional(RouteState),
  grace_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ENDED_GRACE_SECONDS })),
});
export type StreamReport = Static<typeof StreamReport>;

export const StreamRegistered = Type.Object({
  name: Type.String(),
  manifest: Type.String(),
  host: Type.String(),
  state: RouteState,
  ttl_seconds: Type.Integer(),
});
export type StreamRegistered = Static<typeof StreamRegistered>;

const ListedOrigin = Type.Object({
  host: OriginHost,
  manifest: ManifestPath,
  state: RouteState,
  registered_at: Timestamp,
  ended_at: Type.Union([Timestamp, Type.Null()]),
  expires_at: Timestamp,
});

/** Who may play the stream; the edge enforces it on every playlist and segment request. */
export const Playback = Type.Object(
  {
    require_signed_urls: Type.Boolean({ description: 'Every request must carry ?token=<playback token for this stream>' }),
    allowed_origins: Type.Array(Type.String(), {
      description: 'Host patterns (example.com, app.example.com:8443, *.example.com) the Origin or Referer must match; empty: any',
    }),
  },
  { description: "The managed stream's settings; an open name (ALLOWED_STREAMS) is always {false, []}" },
);

/**
 * `GET /streams/{name}` (200): seed shape (`name`, `manifest`, `host` of the origin to play from)
 * plus the origins to choose from: the live ones, or, when none is live, the ones still serving
 * the ended stream; and the stream's playback policy, so the edge needs no other call. No route:
 * 404, see NoRoute.
 */
export const StreamRoute = Type.Object({
  name: StreamName,
  manifest: ManifestPath,
  host: OriginHost,
  state: RouteState,
  origins: Type.Array(ListedOrigin),
  playback: Playback,
  live_video_uid: Type.Optional(
    Type.Union([VideoUid, Type.Null()], {
      description:
        "The video (seed 004) recording the live session, for the edge's /<id>/lifecycle; null when none is recorded " +
        '(recording off, no segment recorded yet); absent from an API without videos',
    }),
  ),
});
export type StreamRoute = Static<typeof StreamRoute>;

/**
 * Why `GET /streams/{name}` has no route (404, told apart by its error code):
 * - `not-live` (LIVE_ERR_STREAM_NOT_LIVE): no origin reported the stream within its TTL. A stream
 *   may still be live on its origin and not reported again yet, after the API lost its live state
 *   (its Redis failed over to a replica that lagged, or restarted without AOF);
 * - `no-such-stream` (LIVE_ERR_STREAM_NOT_FOUND): the API knows no such stream (deleted, never
 *   created, not an open name): nobody may play it, whatever an origin still serves.
 */
export type NoRoute = 'not-live' | 'no-such-stream';

/** `DELETE /streams/{name}`: withdraw one origin's registration (`?host=`) or all of them. */
export const WithdrawQuery = Type.Object({ host: Type.Optional(OriginHost) });
