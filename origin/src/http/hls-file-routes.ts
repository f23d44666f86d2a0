import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { STREAM_NAME_PATTERN } from '../hls/hls-names.js';
import { DASH_FILE_NAME_PATTERN, DASH_MANIFEST_FILE_NAME, parseDashMediaName } from '../../../llhls-contract/src/dash-names.js';
import { LOW_LATENCY_MEDIA_NAME_PATTERN, parseLowLatencyMediaName, parseLowLatencyPlaylistName } from '../../../llhls-contract/src/llhls-names.js';
import { sendDashManifest, sendDashMedia } from './dash-routes.js';
import { MediaNotFoundError, errorBodySchema, sendError } from './http-errors.js';
import { lowLatencyVariantOutput, sendLowLatencyMedia, sendLowLatencyPlaylist, sendMultivariantPlaylist, type LowLatencyOutputs } from './llhls-routes.js';
import { errorCode } from '../file-error-code.js';

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
  /** LL-HLS outputs (HLS_LOW_LATENCY), served from memory; without them only HLS_PATH is. */
  lowLatency?: LowLatencyOutputs;
}

/** RFC 9110 §13.1.2: weak comparison, any listed tag or `*` matches. */
function matchesIfNoneMatch(header: string, etag: string): boolean {
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

function notModified(request: FastifyRequest, etag: string, modified: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return matchesIfNoneMatch(ifNoneMatch, etag);
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have whole seconds.
  return !Number.isNaN(since) && Math.floor(modified.getTime() / 1000) * 1000 <= since;
}

/**
 * Sends one file of an open handle. The file is opened before it is measured and read through
 * the same handle: the writer replaces playlists by rename, and a handle keeps the version it
 * opened, so the length header and the bytes always belong to one complete version. (Serving by
 * path, as @fastify/send does, stats one version and may read the next.)
 */
async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  handle: FileHandle,
  type: HlsFileType,
  cacheControl: string = CACHE_CONTROL[type],
): Promise<FastifyReply> {
  const stat = await handle.stat({ bigint: true });
  if (!stat.isFile()) {
    await handle.close();
    return sendError(reply, new MediaNotFoundError(request.url));
  }
  // A new version is a new inode (written aside, then renamed in), so the inode tells versions apart.
  const etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`;
  const modified = new Date(Number(stat.mtimeMs));
  reply
    .header('content-type', CONTENT_TYPES[type])
    .header('cache-control', cacheControl)
    .header('etag', etag)
    .header('last-modified', modified.toUTCString());

  const size = Number(stat.size);
  if (notModified(request, etag, modified)) {
    await handle.close();
    return reply.code(304).send();
  }
  reply.header('content-length', size);
  if (request.method === 'HEAD' || size === 0) {
    await handle.close();
    return reply.send(request.method === 'HEAD' ? undefined : '');
  }
  return reply.send(handle.createReadStream({ start: 0, end: size - 1 }));
}

export function hlsFileType(file: string): HlsFileType {
  return file.endsWith('.m3u8') ? 'm3u8' : 'ts';
}

/** Opens `path` and sends it (see sendFile); 404 naming `label` when there is no such file. */
export async function sendFileAt(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  label: string,
  type: HlsFileType,
  cacheControl: string = CACHE_CONTROL[type],
): Promise<FastifyReply> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '')) return sendError(reply, new MediaNotFoundError(label));
    throw error;
  }
  try {
    return await sendFile(request, reply, handle, type, cacheControl);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
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
        if (dashName) return sendDashMedia(request, reply, stream, file, dashName, lowLatency.get(stream));
      }
      return sendFileAt(request, reply, join(hlsPath, stream, file), `${stream}/${file}`, hlsFileType(file));
    },
  });
};
