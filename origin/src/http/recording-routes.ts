import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { VIDEO_UID_PATTERN } from '../../../internal-api/src/video-contract.js';
import type { HeldRecording } from '../recording/video-reporter.js';
import { errorBodySchema, MediaNotFoundError, sendError } from './http-errors.js';
import { CACHE_CONTROL, hlsFileType, sendFileAt } from './hls-file-routes.js';

/** What a recording's folder serves: its playlist and numbered segments (not recording.json, nor `.tmp` files). */
const RECORDING_FILE_PATTERN = '^(?:index\\.m3u8|[0-9]{1,9}\\.ts)$';

/** A closed recording never changes again: its playlist is as immutable as its segments. */
const READY_CACHE_CONTROL = CACHE_CONTROL.ts;

export interface RecordingRoutesOptions {
  /** The recordings this origin holds (the videos reporter's list), by uid. */
  recording: (uid: string) => HeldRecording | undefined;
}

/**
 * `GET|HEAD /videos/<uid>/<file>`: a recording this origin holds, at the path the edge uses. The
 * uid and the file name are checked against their patterns (no traversal can reach the path); a
 * uid this origin does not hold is 404 whatever the disk has. The EVENT playlist of a recording in
 * progress is `no-cache` like a live one; a closed recording's files are cacheable for good.
 */
export const recordingRoutes: FastifyPluginAsync<RecordingRoutesOptions> = async (app, { recording }) => {
  app.route<{ Params: { uid: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/videos/:uid/:file',
    schema: {
      params: {
        type: 'object',
        required: ['uid', 'file'],
        additionalProperties: false,
        properties: {
          uid: { type: 'string', pattern: VIDEO_UID_PATTERN },
          file: { type: 'string', pattern: RECORDING_FILE_PATTERN },
        },
      },
      response: { 400: errorBodySchema, 404: errorBodySchema },
    },
    handler: async (request, reply) => {
      const { uid, file } = request.params;
      const held = recording(uid);
      if (!held) return sendError(reply, new MediaNotFoundError(`videos/${uid}/${file}`));
      const type = hlsFileType(file);
      const cacheControl = held.ready ? READY_CACHE_CONTROL : CACHE_CONTROL[type];
      return sendFileAt(request, reply, join(held.folder, file), `videos/${uid}/${file}`, type, cacheControl);
    },
  });
};
