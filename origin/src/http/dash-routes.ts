import type { FastifyReply, FastifyRequest } from 'fastify';
import { DASH_MANIFEST_FILE_NAME, type DashMediaName } from '../../../llhls-contract/src/dash-names.js';
import { MediaNotFoundError, sendError } from './http-errors.js';
import { sendStoredRanges } from './send-file.js';
import type { SpilledFile } from '../packaging/spilled-segments.js';
// The manifest changes with every segment (revalidated on every use, as ll.m3u8); names never repeat (immutable).
import { MEDIA_CACHE_CONTROL, PLAYLIST_CACHE_CONTROL } from './llhls-routes.js';

/**
 * The origin's DASH answers, from the LL-HLS store (LowLatencyStream: memory, older segments on disk): `/<stream>/index.mpd`
 * and the per-track segments and inits it names. Called by hlsFileRoutes for those names.
 */

/** What the routes read of a stream's DASH output; LowLatencyStream is one. */
export interface DashOutput {
  /** undefined before the first segment is complete. */
  dashManifest(): string | undefined;
  /** A file held in memory, as buffers to send back to back. */
  file(name: string): readonly Uint8Array[] | undefined;
  /** Where a file no longer held in memory is on disk (byte ranges of its finished segment's file). */
  spilledFile(name: string): SpilledFile | undefined;
}

export const DASH_CONTENT_TYPES = {
  manifest: 'application/dash+xml',
  video: 'video/mp4',
  audio: 'audio/mp4',
} as const;

/** `GET|HEAD /<stream>/index.mpd`: 404 until the stream has a complete segment. */
export function sendDashManifest(request: FastifyRequest, reply: FastifyReply, stream: string, output: DashOutput | undefined): FastifyReply {
  const manifest = output?.dashManifest();
  if (manifest === undefined) return sendError(reply, new MediaNotFoundError(`${stream}/${DASH_MANIFEST_FILE_NAME}`));
  return reply
    .header('content-type', DASH_CONTENT_TYPES.manifest)
    .header('cache-control', PLAYLIST_CACHE_CONTROL)
    .send(request.method === 'HEAD' ? undefined : manifest);
}

/** `GET|HEAD /<stream>/v-<msn>.m4s`, `a-<msn>.m4s`, `v-init-<msn>.mp4`, `a-init-<msn>.mp4`. */
export function sendDashMedia(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: string,
  file: string,
  name: DashMediaName,
  output: DashOutput | undefined,
): FastifyReply | Promise<FastifyReply> {
  const label = `${stream}/${file}`;
  const buffers = output?.file(file);
  const spilled = buffers ? undefined : output?.spilledFile(file);
  if (spilled) return sendStoredRanges(request, reply, { file: spilled, label, contentType: DASH_CONTENT_TYPES[name.track], cacheControl: MEDIA_CACHE_CONTROL });
  if (!buffers) return sendError(reply, new MediaNotFoundError(label));
  const body = Buffer.concat(buffers);
  return reply
    .header('content-type', DASH_CONTENT_TYPES[name.track])
    .header('cache-control', MEDIA_CACHE_CONTROL)
    .header('content-length', body.length)
    .send(request.method === 'HEAD' ? undefined : body);
}
