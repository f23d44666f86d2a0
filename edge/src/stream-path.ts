/**
 * Decides whether a request path may be proxied. It works on the raw request target, before any
 * percent-decoding, so an encoded slash or dot can never turn into a different path further on.
 * Media names never need encoding, so anything encoded is refused rather than decoded.
 */

import { STREAM_NAME_PATTERN } from '../../internal-api/src/stream-name.js';
import { VIDEO_UID_PATTERN } from '../../internal-api/src/video-contract.js';

/** The contract's stream name (internal-api/src/stream-name.ts). */
export const STREAM_NAME = new RegExp(STREAM_NAME_PATTERN);
export const MEDIA_FILE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(m3u8|mpd|ts|m4s|mp4|aac)$/;
export const MAX_MEDIA_FILE_LENGTH = 255;
/** The contract's video uid (internal-api/src/video-contract.ts). */
export const VIDEO_UID = new RegExp(VIDEO_UID_PATTERN);
/** Recorded videos are served under `/videos/<uid>/`. */
export const VIDEOS_FOLDER = 'videos';
/** A thumbnail's path below a stream's or a video's folder (seed 004's). */
export const THUMBNAIL_FOLDER = 'thumbnails';
export const THUMBNAIL_FILE = 'thumbnail.jpg';

/** Every character a media path may hold; `%`, `\`, `;`, `:` and the rest are refused outright. */
const PATH_CHARACTERS = /^[A-Za-z0-9_./-]*$/;

/**
 * Playlists (HLS `.m3u8`, and DASH manifests, `.mpd`) change while a stream is live; every other
 * media file (segments, init sections) never does.
 */
export const MEDIA_KINDS = ['playlist', 'segment'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export function mediaKindOf(file: string): MediaKind {
  return file.endsWith('.m3u8') || file.endsWith('.mpd') ? 'playlist' : 'segment';
}

export type PathVerdict =
  | { kind: 'media'; stream: string; file: string }
  /** `/videos/<uid>/<media file>`: a recorded video's playlist or segment. */
  | { kind: 'video'; uid: string; file: string }
  /** `/<stream>/thumbnails/thumbnail.jpg`: the live stream's newest keyframe. */
  | { kind: 'live-thumbnail'; stream: string }
  /** `/videos/<uid>/thumbnails/thumbnail.jpg`: a picture of a recorded video. */
  | { kind: 'video-thumbnail'; uid: string }
  /** Unsafe or malformed: answered 400. */
  | { kind: 'refused'; reason: string }
  /** Harmless but not `/<stream>/<media file>`: answered 404. */
  | { kind: 'not-media' };

/** The path part of a raw request target (everything before `?`). */
export function pathOf(rawUrl: string): string {
  const query = rawUrl.indexOf('?');
  return query === -1 ? rawUrl : rawUrl.slice(0, query);
}

export function classifyPath(rawUrl: string): PathVerdict {
  const path = pathOf(rawUrl);
  if (!path.startsWith('/')) return refused('it must start with "/"');
  if (path.includes('%')) return refused('percent-encoding is not allowed');
  if (path.includes('\\')) return refused('backslashes are not allowed');
  if (path.includes('//')) return refused('empty path segments are not allowed');
  if (path.includes('..')) return refused('".." is not allowed');
  if (!PATH_CHARACTERS.test(path)) {
    return refused('only letters, digits, "_", "-", "." and "/" are allowed');
  }

  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '.')) return refused('"." segments are not allowed');
  if (isThumbnailPath(segments, 3)) {
    // Before the videos folder: a uid is never `thumbnails`, so this is a stream's (one named `videos` too).
    const [stream = ''] = segments;
    return STREAM_NAME.test(stream) ? { kind: 'live-thumbnail', stream } : refused('the stream name must be 1 to 128 letters, digits, "_" or "-"');
  }
  if (isThumbnailPath(segments, 4) && segments[0] === VIDEOS_FOLDER) {
    const uid = segments[1] ?? '';
    return VIDEO_UID.test(uid) ? { kind: 'video-thumbnail', uid } : refused('a video uid is 32 lowercase hex characters');
  }
  if (segments.length === 3 && segments[0] === VIDEOS_FOLDER) return classifyVideoPath(segments[1] ?? '', segments[2] ?? '');
  if (segments.length !== 2) return { kind: 'not-media' };
  const [stream = '', file = ''] = segments;
  if (file === '') return { kind: 'not-media' };
  if (!STREAM_NAME.test(stream)) {
    return refused('the stream name must be 1 to 128 letters, digits, "_" or "-"');
  }
  const fileRefusal = refusedFileName(file);
  if (fileRefusal) return fileRefusal;
  if (!MEDIA_FILE.test(file)) return { kind: 'not-media' };
  return { kind: 'media', stream, file };
}

/** `…/thumbnails/thumbnail.jpg` with `length` segments in all. */
function isThumbnailPath(segments: string[], length: number): boolean {
  return segments.length === length && segments[length - 2] === THUMBNAIL_FOLDER && segments[length - 1] === THUMBNAIL_FILE;
}

function classifyVideoPath(uid: string, file: string): PathVerdict {
  if (!VIDEO_UID.test(uid)) return refused('a video uid is 32 lowercase hex characters');
  if (file === '') return { kind: 'not-media' };
  const fileRefusal = refusedFileName(file);
  if (fileRefusal) return fileRefusal;
  if (!MEDIA_FILE.test(file)) return { kind: 'not-media' };
  return { kind: 'video', uid, file };
}

function refusedFileName(file: string): PathVerdict | undefined {
  if (file.startsWith('.')) return refused('file names may not start with "."');
  if (file.length > MAX_MEDIA_FILE_LENGTH) {
    return refused(`file names may not be longer than ${MAX_MEDIA_FILE_LENGTH} characters`);
  }
  return undefined;
}

function refused(reason: string): PathVerdict {
  return { kind: 'refused', reason };
}
