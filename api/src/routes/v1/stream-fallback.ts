import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { FallbackNotFoundError, StreamNotFoundError, UnsupportedMediaTypeError, errorResponses } from '../../errors.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import type { FallbackUploader } from '../../fallback/fallback-uploader.js';
import { StreamIdParams, Timestamp } from '../../schemas.js';
import type { FallbackInfo, FallbackStore } from '../../store/fallback-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import { ownedStream } from './owned-stream.js';

export interface StreamFallbackRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  store: Pick<FallbackStore, 'get' | 'delete'>;
  files: Pick<FallbackFiles, 'remove'>;
  uploader: FallbackUploader;
}

const FallbackBody = Type.Object({
  fallback: Type.Object({
    size_bytes: Type.Integer({ description: 'Of the converted FLV' }),
    duration_s: Type.Number(),
    width: Type.Integer(),
    height: Type.Integer(),
    updated_at: Timestamp,
  }),
});

function toBody(info: FallbackInfo) {
  return {
    fallback: {
      size_bytes: info.sizeBytes,
      duration_s: info.durationS,
      width: info.width,
      height: info.height,
      updated_at: info.updatedAt,
    },
  };
}

/** Upload bodies are streamed to disk by the handler, so the parser hands the raw stream over. */
const passStream = (_request: unknown, payload: Readable, done: (error: null, body: Readable) => void) => done(null, payload);

/**
 * The fallback video of a stream (seed 001): targets get it in a loop while the publisher is
 * away. Uploaded once as a file of any common video format, converted once to H.264/AAC FLV.
 */
export const streamFallbackRoutes: FastifyPluginAsyncTypebox<StreamFallbackRoutesOptions> = async (app, options) => {
  const { streams, store, files, uploader } = options;
  // Scoped to this plugin: the upload route takes video bodies and nothing else (JSON included).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', passStream);
  app.addContentTypeParser(/^video\/[\w.+-]+\s*(?:;.*)?$/, passStream);

  app.put(
    '/streams/:id/fallback',
    {
      schema: {
        summary: 'Upload the fallback video: the raw file as the body (Content-Type video/* or application/octet-stream)',
        description:
          'The file is converted once to H.264 (main, keyframe every FALLBACK_KEYFRAME_SECONDS) and AAC 48 kHz stereo in FLV, ' +
          'cut to FALLBACK_MAX_DURATION_SECONDS and scaled down to fit FALLBACK_MAX_RESOLUTION (never up); a silent track is ' +
          'added when it has no audio. 201 for the first fallback, 200 when it replaces one. 400 LIVE_ERR_FALLBACK_NOT_VIDEO when ' +
          'it has no video ffmpeg can read; 408 when the body stalls (FALLBACK_UPLOAD_IDLE_SECONDS) or takes too long ' +
          '(FALLBACK_UPLOAD_TIMEOUT_SECONDS); 413 past FALLBACK_MAX_BYTES, or LIVE_ERR_FALLBACK_QUOTA_EXCEEDED past ' +
          'FALLBACK_MAX_BYTES_PER_USER; 429 past FALLBACK_MAX_UPLOADS_PER_USER; 503 past FALLBACK_MAX_UPLOADS.',
        params: StreamIdParams,
        consumes: ['video/mp4', 'video/quicktime', 'video/webm', 'video/x-matroska', 'video/x-flv', 'application/octet-stream'],
        response: { 200: FallbackBody, 201: FallbackBody, ...errorResponses(400, 401, 404, 408, 409, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      // Whatever goes wrong before the body is read, the connection must not be reused with the rest of it.
      void reply.header('connection', 'close');
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const body = request.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw new UnsupportedMediaTypeError(request.headers['content-type']);
      const length = request.headers['content-length'];
      const { info, replaced } = await uploader.upload(request.principal.userId, id, body, length === undefined ? undefined : Number(length));
      request.log.info({ stream: id, sizeBytes: info.sizeBytes, durationS: info.durationS, replaced }, 'fallback video stored');
      void reply.removeHeader('connection');
      return reply.code(replaced ? 200 : 201).send(toBody(info));
    },
  );

  app.get(
    '/streams/:id/fallback',
    {
      schema: {
        summary: "Your stream's fallback video: size, duration and dimensions of the converted file",
        params: StreamIdParams,
        response: { 200: FallbackBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const info = await store.get(id);
      if (!info) throw new FallbackNotFoundError(id);
      return toBody(info);
    },
  );

  app.delete(
    '/streams/:id/fallback',
    {
      schema: {
        summary: 'Remove the fallback video; targets then end with the publisher (after the reconnect window)',
        params: StreamIdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const outcome = await store.delete(request.principal.userId, id);
      if (outcome === 'not-owned') throw new StreamNotFoundError(id);
      if (outcome === 'none') throw new FallbackNotFoundError(id);
      await files.remove(id);
      request.log.info({ stream: id }, 'fallback video deleted');
      return reply.code(204).send(null);
    },
  );
};
