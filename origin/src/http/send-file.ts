import { open, type FileHandle } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MediaNotFoundError, sendError } from './http-errors.js';
import { errorCode } from '../file-error-code.js';
import type { SpilledFile } from '../packaging/spilled-segments.js';

/** A file on disk as one answer: HLS playlists and segments, recordings, spilled LL-HLS and DASH segments. */
export interface StoredFile {
  path: string;
  /** What a 404 names (`<stream>/<file>`): never the path on disk. */
  label: string;
  contentType: string;
  cacheControl: string;
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
async function sendHandle(request: FastifyRequest, reply: FastifyReply, handle: FileHandle, file: StoredFile): Promise<FastifyReply> {
  const stat = await handle.stat({ bigint: true });
  if (!stat.isFile()) {
    await handle.close();
    return sendError(reply, new MediaNotFoundError(file.label));
  }
  // A new version is a new inode (written aside, then renamed in), so the inode tells versions apart.
  const etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`;
  const modified = new Date(Number(stat.mtimeMs));
  reply
    .header('content-type', file.contentType)
    .header('cache-control', file.cacheControl)
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

/** The file at `path` opened for reading; undefined when there is no such file. */
async function openIfPresent(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '')) return undefined;
    throw error;
  }
}

/** Opens the file and sends it (see sendHandle); 404 naming its label when there is no such file. */
export async function sendStoredFile(request: FastifyRequest, reply: FastifyReply, file: StoredFile): Promise<FastifyReply> {
  const handle = await openIfPresent(file.path);
  if (!handle) return sendError(reply, new MediaNotFoundError(file.label));
  try {
    return await sendHandle(request, reply, handle, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Byte ranges of a file on disk as one answer: a spilled LL-HLS segment, or a part or DASH track segment inside one. */
export interface StoredRanges {
  file: SpilledFile;
  /** What a 404 names (`<stream>/<file>`): never the path on disk. */
  label: string;
  contentType: string;
  cacheControl: string;
}

/**
 * Sends `ranges.file`'s ranges back to back, with their total as the length: one range streamed
 * from the handle, several (a DASH track's chunks, interleaved with the other track's) read into
 * one buffer of at most a segment's size. No validators: the names never repeat, as for the
 * same files sent from memory. 404 naming the label when the file went (its grace period ended).
 */
export async function sendStoredRanges(request: FastifyRequest, reply: FastifyReply, ranges: StoredRanges): Promise<FastifyReply> {
  const { file } = ranges;
  const handle = await openIfPresent(file.path);
  if (!handle) return sendError(reply, new MediaNotFoundError(ranges.label));
  reply.header('content-type', ranges.contentType).header('cache-control', ranges.cacheControl).header('content-length', file.length);
  try {
    if (request.method === 'HEAD' || file.length === 0) {
      await handle.close();
      return reply.send(request.method === 'HEAD' ? undefined : '');
    }
    const [only] = file.ranges;
    if (file.ranges.length === 1 && only) return reply.send(handle.createReadStream({ start: only.offset, end: only.offset + only.length - 1 }));
    const body = Buffer.allocUnsafe(file.length);
    let at = 0;
    for (const { offset, length } of file.ranges) {
      const { bytesRead } = await handle.read(body, at, length, offset);
      if (bytesRead !== length) throw new Error(`read ${bytesRead} of ${length} bytes at ${offset} of ${ranges.label}`);
      at += length;
    }
    await handle.close();
    return reply.send(body);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}
