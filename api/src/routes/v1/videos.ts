import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { VideoParams } from '../../../../internal-api/src/video-contract.js';
import { VideoNotFoundError, errorResponses } from '../../errors.js';
import type { Principal } from '../../auth/authenticator.js';
import { StreamIdParams } from '../../schemas.js';
import type { Stream, StreamStore } from '../../store/stream-store.js';
import type { Video, VideoStore } from '../../store/video-store.js';
import { ownedStream } from './owned-stream.js';
import { VideoBody, videoBody } from './video-body.js';

/** The most videos one listing answers (Cloudflare Stream's default and most too). */
export const MAX_VIDEOS_LISTED = 1000;

const VideoListQuery = Type.Object({
  // A string: query values are never coerced (app.ts), so the pattern is the bound.
  limit: Type.Optional(
    Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: `At most this many videos, 1-${MAX_VIDEOS_LISTED}; default ${MAX_VIDEOS_LISTED}` }),
  ),
  before: Type.Optional(
    Type.String({ format: 'date-time', description: "Only videos created before this time: the last listed video's `created` gives the next page" }),
  ),
});

export interface VideoRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  videos: Pick<VideoStore, 'get' | 'list' | 'delete'>;
  publicPlaybackUrl: string;
}

/** Seed 004's videos: each recorded session of the caller's streams; another user's video is 404. */
export const videoRoutes: FastifyPluginAsyncTypebox<VideoRoutesOptions> = async (app, { streams, videos, publicPlaybackUrl }) => {
  /** The principal's video and its stream; 404 when unknown, deleted or someone else's (same answer). */
  const ownedVideo = async (principal: Principal, uid: string): Promise<{ video: Video; stream: Stream }> => {
    const video = await videos.get(uid);
    const stream = video && (await streams.get(principal.userId, video.stream));
    if (!video || !stream) throw new VideoNotFoundError(uid);
    return { video, stream };
  };

  app.get(
    '/streams/:id/videos',
    {
      schema: {
        summary: "The stream's videos, newest first: the one being recorded (live-inprogress) and the recorded ones (ready)",
        params: StreamIdParams,
        querystring: VideoListQuery,
        response: { 200: Type.Object({ data: Type.Array(VideoBody) }), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const stream = await ownedStream(streams, request.principal, request.params.id);
      const { limit, before } = request.query;
      const list = await videos.list(stream.id, limit === undefined ? MAX_VIDEOS_LISTED : Number(limit), before === undefined ? undefined : Date.parse(before));
      return { data: list.map((video) => videoBody(video, stream.name, publicPlaybackUrl)) };
    },
  );

  app.get(
    '/videos/:uid',
    {
      schema: {
        summary: 'One of your videos',
        params: VideoParams,
        response: { 200: VideoBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { video, stream } = await ownedVideo(request.principal, request.params.uid);
      return videoBody(video, stream.name, publicPlaybackUrl);
    },
  );

  app.delete(
    '/videos/:uid',
    {
      schema: {
        summary: 'Delete one of your videos',
        description:
          'It is no longer listed nor played at once; the origin holding the recording removes its files at its next report.',
        params: VideoParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { video, stream } = await ownedVideo(request.principal, request.params.uid);
      if (!(await videos.delete(request.principal.userId, stream.id, video.uid))) throw new VideoNotFoundError(video.uid);
      return reply.code(204).send(null);
    },
  );
};
