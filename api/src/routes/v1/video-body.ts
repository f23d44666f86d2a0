import { Type, type Static } from '@fastify/type-provider-typebox';
import { VideoStateField, VideoUid } from '../../../../internal-api/src/video-contract.js';
import { StreamId, Timestamp } from '../../schemas.js';
import type { Video } from '../../store/video-store.js';

/** Seed 004's "unknown" for duration (while live-inprogress) and input dimensions. */
const UNKNOWN = -1;

/** Seed 004's video, with the fields this platform has (no upload, watermark or DASH fields). */
export const VideoBody = Type.Object({
  uid: VideoUid,
  created: Timestamp,
  modified: Type.String({ format: 'date-time', description: 'When a report of the origin last changed the video' }),
  duration: Type.Number({ description: 'Seconds; -1 while live-inprogress' }),
  size: Type.Integer({ description: 'Bytes of segments and playlists, as recorded so far' }),
  input: Type.Object(
    { width: Type.Integer(), height: Type.Integer() },
    { description: 'Pixels of the recorded video; -1 while unknown' },
  ),
  status: Type.Object({ state: VideoStateField }),
  readyToStream: Type.Boolean({ description: 'true once ready: the recording is closed and replays in full' }),
  playback: Type.Object({ hls: Type.String({ description: 'PUBLIC_PLAYBACK_URL/videos/<uid>/index.m3u8' }) }),
  thumbnail: Type.String({ description: 'PUBLIC_PLAYBACK_URL/videos/<uid>/thumbnails/thumbnail.jpg (?time=5s&height=270)' }),
  liveInput: StreamId,
  meta: Type.Object({ name: Type.String({ description: '"<stream name> <created, e.g. 23 Sep 21 05:44 UTC>"' }) }),
});
export type VideoBody = Static<typeof VideoBody>;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (value: number) => String(value).padStart(2, '0');

/** The seed's date in a video's name: `23 Sep 21 05:44 UTC`. */
export function seedDate(iso: string): string {
  const date = new Date(iso);
  const day = `${twoDigits(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${twoDigits(date.getUTCFullYear() % 100)}`;
  return `${day} ${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())} UTC`;
}

/** A stored video as /v1 shows it; `streamName` names it, as the seed does. */
export function videoBody(video: Video, streamName: string, publicPlaybackUrl: string): VideoBody {
  const ready = video.state === 'ready';
  const base = `${publicPlaybackUrl}/videos/${video.uid}`;
  return {
    uid: video.uid,
    created: video.created,
    modified: video.modified,
    duration: ready ? video.durationS : UNKNOWN,
    size: video.sizeBytes,
    input: { width: video.width ?? UNKNOWN, height: video.height ?? UNKNOWN },
    status: { state: video.state },
    readyToStream: ready,
    playback: { hls: `${base}/index.m3u8` },
    thumbnail: `${base}/thumbnails/thumbnail.jpg`,
    liveInput: video.stream,
    meta: { name: `${streamName} ${seedDate(video.created)}` },
  };
}
