import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseThumbnailQuery, type ThumbnailQuery } from '../../../internal-api/src/thumbnail-query.js';
import { VIDEO_UID_PATTERN } from '../../../internal-api/src/video-contract.js';
import { STREAM_NAME_PATTERN } from '../hls/hls-names.js';
import type { HeldRecording } from '../recording/video-reporter.js';
import { ThumbnailQueueFullError } from '../thumbnails/thumbnail-jobs.js';
import { ThumbnailMakerError } from '../thumbnails/thumbnail-maker.js';
import type { Thumbnails } from '../thumbnails/thumbnails.js';
import { CACHE_CONTROL } from './hls-file-routes.js';
import { errorBodySchema, MediaNotFoundError, sendError, ThumbnailBusyError, ThumbnailFailedError, ThumbnailQueryError } from './http-errors.js';

export interface ThumbnailRoutesOptions {
  thumbnails: Thumbnails;
  /** The recordings this origin holds (the videos reporter's list), by uid. */
  recording: (uid: string) => HeldRecording | undefined;
  /** THUMBNAIL_QUEUE_LIMIT, named in the busy answer. */
  queueLimit: number;
  /** LIVE_THUMBNAIL_MAX_AGE_SECONDS: reuse of a thumbnail that may change (a live one, or of a video still recorded). */
  liveMaxAgeS: number;
}

const THUMBNAIL_FILE = 'thumbnails/thumbnail.jpg';
const errorResponses = { 400: errorBodySchema, 404: errorBodySchema, 500: errorBodySchema, 503: errorBodySchema };

/**
 * `GET|HEAD /videos/<uid>/thumbnails/thumbnail.jpg?time=…&height=…`: a picture of a recording this
 * origin holds, at a time (see internal-api/src/thumbnail-query.ts), cacheable for good once the
 * video is closed. `GET|HEAD /<stream>/thumbnails/thumbnail.jpg?height=…`: the live stream's
 * newest keyframe (`time` is read, and has no meaning there), reusable for a moment only.
 */
export const thumbnailRoutes: FastifyPluginAsync<ThumbnailRoutesOptions> = async (app, options) => {
  const { thumbnails, recording, liveMaxAgeS } = options;
  const changing = `public, max-age=${liveMaxAgeS}`;

  app.route<{ Params: { uid: string } }>({
    method: ['GET', 'HEAD'],
    url: `/videos/:uid/${THUMBNAIL_FILE}`,
    schema: {
      params: { type: 'object', required: ['uid'], additionalProperties: false, properties: { uid: { type: 'string', pattern: VIDEO_UID_PATTERN } } },
      response: errorResponses,
    },
    handler: async (request, reply) => {
      const label = `videos/${request.params.uid}/${THUMBNAIL_FILE}`;
      const query = queryOf(request);
      if (query instanceof ThumbnailQueryError) return sendError(reply, query);
      const held = recording(request.params.uid);
      if (!held) return sendError(reply, new MediaNotFoundError(label));
      return answer(reply, label, () => thumbnails.recorded(held.folder, query), held.ready ? CACHE_CONTROL.ts : changing);
    },
  });

  const liveThumbnail = async (request: FastifyRequest, reply: FastifyReply, stream: string): Promise<FastifyReply> => {
    const query = queryOf(request);
    if (query instanceof ThumbnailQueryError) return sendError(reply, query);
    return answer(reply, `${stream}/${THUMBNAIL_FILE}`, () => thumbnails.latest(stream, query), changing);
  };
  app.route<{ Params: { stream: string } }>({
    method: ['GET', 'HEAD'],
    url: `/:stream/${THUMBNAIL_FILE}`,
    schema: {
      params: { type: 'object', required: ['stream'], additionalProperties: false, properties: { stream: { type: 'string', pattern: STREAM_NAME_PATTERN } } },
      response: errorResponses,
    },
    handler: (request, reply) => liveThumbnail(request, reply, request.params.stream),
  });
  // The router would take this path for a video's file (`/videos/:uid/:file`, a bad uid): a stream may be named `videos`.
  app.route({
    method: ['GET', 'HEAD'],
    url: `/videos/${THUMBNAIL_FILE}`,
    schema: { response: errorResponses },
    handler: (request, reply) => liveThumbnail(request, reply, 'videos'),
  });

  async function answer(reply: FastifyReply, label: string, make: () => Promise<Buffer | undefined>, cacheControl: string): Promise<FastifyReply> {
    let jpeg: Buffer | undefined;
    try {
      jpeg = await make();
    } catch (error) {
      if (error instanceof ThumbnailQueueFullError) return sendError(reply, new ThumbnailBusyError(options.queueLimit));
      if (error instanceof ThumbnailMakerError) {
        reply.log.warn({ path: label, kind: error.kind, detail: error.message }, 'a thumbnail could not be made');
        return sendError(reply, new ThumbnailFailedError(label, error.message));
      }
      throw error;
    }
    if (!jpeg) return sendError(reply, new MediaNotFoundError(label));
    return reply.header('content-type', 'image/jpeg').header('cache-control', cacheControl).header('content-length', jpeg.length).send(jpeg);
  }
};

function queryOf(request: FastifyRequest): ThumbnailQuery | ThumbnailQueryError {
  const start = request.url.indexOf('?');
  const parsed = parseThumbnailQuery(start === -1 ? '' : request.url.slice(start + 1));
  return parsed.kind === 'ok' ? parsed.query : new ThumbnailQueryError(parsed.reason);
}
