import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { STREAM_NAME_PATTERN } from '../hls/hls-names.js';
import { DASH_FILE_NAME_PATTERN, DASH_MANIFEST_FILE_NAME, parseDashMediaName } from '../../../llhls-contract/src/dash-names.js';
import { LOW_LATENCY_MEDIA_NAME_PATTERN, parseLowLatencyMediaName, parseLowLatencyPlaylistName } from '../../../llhls-contract/src/llhls-names.js';
import { sendDashManifest, sendDashMedia } from './dash-routes.js';
import { errorBodySchema } from './http-errors.js';
import { lowLatencyVariantOutput, sendLowLatencyMedia, sendLowLatencyPlaylist, sendMultivariantPlaylist, type LowLatencyOutputs } from './llhls-routes.js';
import { sendStoredFile } from './send-file.js';

/** A playlist or segment name: no leading dot, no slash, no `.tmp`, only the two HLS types. */
export const HLS_FILE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(m3u8|ts)$/;

export type HlsFileType = 'm3u8' | 'ts';

const CONTENT_TYPES: Record<HlsFileType, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

/**
 * Playlists change with every segment: `no-cache` lets edges and players keep a copy but
 * revalidate it on every use (a cheap 304 through the ETag), so nobody serves a stale live edge.
 * Micro-caching (max-age=1) is the edge's decision, not the origin's. A segment name is never
 * reused (the media sequence only grows, and a new session starts it from the clock), so a
 * segment's bytes never change and may be cached for good.
 */
export const CACHE_CONTROL: Record<HlsFileType, string> = {
  m3u8: 'no-cache',
  ts: 'public, max-age=31536000, immutable',
};

export interface HlsFileParams {
  stream: string;
  file: string;
}

/** With LL-HLS on, file names also include its media (the playlist, ll.m3u8, is an .m3u8 already) and DASH's. */
function paramsSchema(lowLatency: boolean) {
  const file = lowLatency ? `(${HLS_FILE_NAME_PATTERN.source})|${LOW_LATENCY_MEDIA_NAME_PATTERN}|${DASH_FILE_NAME_PATTERN}` : HLS_FILE_NAME_PATTERN.source;
  return {
    type: 'object',
    required: ['stream', 'file'],
    additionalProperties: false,
    properties: {
      stream: { type: 'string', pattern: STREAM_NAME_PATTERN },
      file: { type: 'string', pattern: file },
    },
  } as const;
}

export interface HlsFileRoutesOptions {
  hlsPath: string;
  /** LL-HLS outputs (HLS_LOW_LATENCY), served from LowLatencyStream (memory, older segments from disk); without them only HLS_PATH is. */
  lowLatency?: LowLatencyOutputs;
}

export function hlsFileType(file: string): HlsFileType {
  return file.endsWith('.m3u8') ? 'm3u8' : 'ts';
}

/** Opens `path` and sends it as one of the HLS types (see sendStoredFile); 404 naming `label` when there is no such file. */
export function sendFileAt(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  label: string,
  type: HlsFileType,
  cacheControl: string = CACHE_CONTROL[type],
): Promise<FastifyReply> {
  return sendStoredFile(request, reply, { path, label, contentType: CONTENT_TYPES[type], cacheControl });
}

/** `GET|HEAD /<stream>/<file>`: playlists and segments below HLS_PATH, read-only, and the LL-HLS and DASH files. */
export const hlsFileRoutes: FastifyPluginAsync<HlsFileRoutesOptions> = async (app, { hlsPath, lowLatency }) => {
  app.route<{ Params: HlsFileParams }>({
    method: ['GET', 'HEAD'],
    url: '/:stream/:file',
    schema: {
      params: paramsSchema(lowLatency !== undefined),
      response: { 400: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema },
    },
    handler: async (request, reply) => {
      const { stream, file } = request.params;
      if (lowLatency) {
        const playlist = parseLowLatencyPlaylistName(file);
        if (playlist?.kind === 'entry') {
          const output = lowLatency.get(stream);
          // With ABR the entry point is the multivariant playlist (404 until it is written).
          if (output?.variants) return sendMultivariantPlaylist(request, reply, stream, file, output.variants.multivariantPlaylist());
          return sendLowLatencyPlaylist(request, reply, stream, file, output);
        }
        if (playlist) return sendLowLatencyPlaylist(request, reply, stream, file, lowLatencyVariantOutput(lowLatency.get(stream), playlist.variant));
        const name = parseLowLatencyMediaName(file);
        if (name) return sendLowLatencyMedia(request, reply, stream, file, name, lowLatencyVariantOutput(lowLatency.get(stream), name.rendition));
        if (file === DASH_MANIFEST_FILE_NAME) return sendDashManifest(request, reply, stream, lowLatency.get(stream));
        const dashName = parseDashMediaName(file);
        if (dashName) return sendDashMedia(request, reply, stream, file, dashName, lowLatencyVariantOutput(lowLatency.get(stream), dashName.rendition));
      }
      return sendFileAt(request, reply, join(hlsPath, stream, file), `${stream}/${file}`, hlsFileType(file));
    },
  });
};
