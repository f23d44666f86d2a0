import { Type, type Static } from 'typebox';
import { OriginHost, OriginId, StreamName, Timestamp, VideoUid } from './fields.js';
import { Playback } from './route-contract.js';

/**
 * A recorded session (seed 004's video) between the origin that holds its files, the API that
 * lists it, and the edge that plays it: `RECORDINGS_PATH/<stream>/<uid>/index.m3u8` on the origin,
 * `/videos/<uid>/index.m3u8` on the edge.
 */

// In fields.ts so that the route contract, which this one imports, can name a video too.
export { VIDEO_UID_PATTERN, VideoUid } from './fields.js';
export const VideoParams = Type.Object({ uid: VideoUid });

/** Seed 004's states: `live-inprogress` while the session is recorded, `ready` once its VOD playlist is closed. */
export const VIDEO_STATES = ['live-inprogress', 'ready'] as const;
export type VideoState = (typeof VIDEO_STATES)[number];
export const VideoStateField = Type.Enum([...VIDEO_STATES], {
  description: 'live-inprogress: being recorded (EVENT playlist); ready: closed (VOD playlist with ENDLIST), replayable',
});

/** Bounds that no real recording reaches, so a corrupt recording.json cannot store absurd figures. */
export const MAX_VIDEO_DURATION_S = 31 * 86_400;
export const MAX_VIDEO_DIMENSION = 16_384;

const Dimension = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_VIDEO_DIMENSION }), Type.Null()], {
  description: 'Pixels; null while unknown (no keyframe parsed yet)',
});

/**
 * `PUT /internal/videos/{uid}`: an origin reports a recording it holds. Origins report every
 * recording at start and periodically (and on each change of state), so a lost report, an API
 * whose Redis lost the video, or a deletion through /v1 converges at the next report.
 */
export const VideoReport = Type.Object({
  stream: StreamName,
  origin_id: OriginId,
  origin_host: OriginHost,
  state: VideoStateField,
  created: Timestamp,
  ended: Type.Union([Timestamp, Type.Null()], { description: 'When the session ended; null while live-inprogress' }),
  duration_s: Type.Number({ minimum: 0, maximum: MAX_VIDEO_DURATION_S, description: 'Seconds of media recorded so far' }),
  size_bytes: Type.Integer({ minimum: 0, description: 'Bytes of segments and playlists on the origin' }),
  width: Dimension,
  height: Dimension,
});
export type VideoReport = Static<typeof VideoReport>;

/**
 * The answer to a report. `keep: false`: the video was deleted through /v1, or its stream no
 * longer exists (or is no longer an open name): the origin removes the recording's files and stops
 * reporting it. `stop_recording: true` (only with keep: true, for a live-inprogress report): the
 * stream's owner reached their recording quota: the origin closes the video now, as a ready VOD,
 * and records no more of the session; the live stream goes on.
 */
export const VideoReportAnswer = Type.Object({
  keep: Type.Boolean({ description: 'false: remove the recording (deleted through /v1, or its stream is gone)' }),
  stop_recording: Type.Optional(
    Type.Boolean({ description: "true: the owner's recording quota is reached: close the video now (it stays, ready); absent: false" }),
  ),
});
export type VideoReportAnswer = Static<typeof VideoReportAnswer>;

/**
 * `GET /internal/videos/{uid}` (200): where the edge fetches a video from
 * (`http://<origin_host>/videos/<uid>/…` on the origin, step 3) and who may play it: its stream's
 * playback policy, read at each lookup so a change applies to recordings too. 404
 * LIVE_ERR_VIDEO_NOT_FOUND: unknown, deleted, or its stream is gone.
 */
export const VideoLocation = Type.Object({
  stream: StreamName,
  origin_host: OriginHost,
  state: VideoStateField,
  require_signed_urls: Playback.properties.require_signed_urls,
  allowed_origins: Playback.properties.allowed_origins,
});
export type VideoLocation = Static<typeof VideoLocation>;

/**
 * `DELETE /internal/videos/{uid}?origin_id=` (204, idempotent): the origin no longer holds the
 * recording (its retention removed it, or its files were lost), so the video is no longer listed
 * nor played. Only the origin that last reported the video withdraws it; another's call changes
 * nothing. Not a deletion through /v1: no tombstone, a later report registers it again.
 */
export const VideoWithdrawQuery = Type.Object({ origin_id: OriginId });
