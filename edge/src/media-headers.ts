/** Headers of media answers, for players and for a CDN in front of the edge. */
import { hash } from 'node:crypto';
import type { MediaKind } from './stream-path.js';

/** A strong validator: the body's SHA-256, shortened (128 bits say "changed" well enough). */
export function etagOf(body: Buffer): string {
  return `"${hash('sha256', body, 'base64url').slice(0, 22)}"`;
}

/** True when `If-None-Match` names `etag` (weak comparison, as RFC 9110 §13.1.2 asks) or is `*`. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const wanted = header.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return wanted.includes('*') || wanted.includes(etag);
}

export function segmentCacheControl(maxAgeS: number): string {
  return `public, max-age=${maxAgeS}, immutable`;
}

/** 0: a cache may store the playlist but must revalidate it (with its ETag) every time. */
export function playlistCacheControl(maxAgeS: number): string {
  return maxAgeS === 0 ? 'no-cache' : `public, max-age=${maxAgeS}`;
}

/** A 404 of the origin is reused briefly, by the edge and by a CDN. */
export const NOT_FOUND_CACHE_CONTROL = 'public, max-age=1';

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  aac: 'audio/aac',
};

/** The origin's content type, or the one the file's extension calls for. */
export function contentTypeOf(file: string, fromOrigin: string | undefined): string {
  if (fromOrigin !== undefined && fromOrigin !== '') return fromOrigin;
  return CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/** `Age` in whole seconds since the edge got the object. */
export function ageOf(storedAtMs: number, nowMs: number): string {
  return String(Math.max(0, Math.floor((nowMs - storedAtMs) / 1_000)));
}

export type CacheResult = 'HIT' | 'MISS';

/** The headers every media answer carries, whatever its status. */
export function cacheHeaders(kind: MediaKind, result: CacheResult, age: string): Record<string, string> {
  const headers: Record<string, string> = { 'x-cache': result, age };
  if (kind === 'segment') headers['accept-ranges'] = 'bytes';
  return headers;
}
