import { Type, type Static } from '@fastify/type-provider-typebox';
import { StreamNotLiveError, VideoNotFoundError } from './errors.js';
import type { RouteResolver } from './route-resolver.js';
import { VIDEO_UID } from './stream-path.js';
import type { VideoResolver } from './video-resolver.js';

/** Seed 004's `GET /<id>/lifecycle` answer. */
export const Lifecycle = Type.Object({
  isInput: Type.Boolean({ description: 'true: the id is a live input (stream id); false: a video uid' }),
  videoUID: Type.Union([Type.String(), Type.Null()], {
    description: "An input's live video (null when nothing is live or recorded), else the video asked about",
  }),
  live: Type.Boolean({ description: 'An input: a session is live; a video: it is still being recorded (live-inprogress)' }),
});
export type Lifecycle = Static<typeof Lifecycle>;

/**
 * A video uid is looked up as a video first (stream ids are never 32 hex characters, but an open
 * name could be); anything else is a live input. Neither: 404 (LIVE_ERR_STREAM_NOT_LIVE, the
 * route API's "no such stream").
 */
export async function lifecycleOf(id: string, routes: Pick<RouteResolver, 'resolve'>, videos: Pick<VideoResolver, 'resolve'>): Promise<Lifecycle> {
  if (VIDEO_UID.test(id)) {
    try {
      const video = await videos.resolve(id);
      return { isInput: false, videoUID: id, live: !video.ready };
    } catch (error) {
      if (!(error instanceof VideoNotFoundError)) throw error;
    }
  }
  try {
    const route = await routes.resolve(id);
    if (route.ended) return { isInput: true, videoUID: null, live: false };
    return { isInput: true, videoUID: route.liveVideoUid ?? null, live: true };
  } catch (error) {
    if (error instanceof StreamNotLiveError && error.offline) return { isInput: true, videoUID: null, live: false };
    if (error instanceof StreamNotLiveError && VIDEO_UID.test(id)) throw new VideoNotFoundError(id);
    throw error;
  }
}
