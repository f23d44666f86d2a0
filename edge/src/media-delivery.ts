/**
 * Answers one playlist or segment request from the cache, or from the origin fetch it starts or
 * joins. Segments are streamed to viewers as they arrive from the origin; playlists are small and
 * answered whole, so every playlist answer carries its ETag.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { bodyWindow } from './body-window.js';
import type { EdgeCacheSettings } from './cache-settings.js';
import type { Coalescer, FetchPlan, Joined } from './coalesced-fetch.js';
import type { EdgeMetrics } from './edge-metrics.js';
import { MediaNotFoundError, OriginBadAnswerError, RangeNotSatisfiableError } from './errors.js';
import { contentRange, rangeFor, type RangeAnswer } from './http-range.js';
import type { CachedMedia, MediaCache } from './media-cache.js';
import {
  ageOf,
  cacheHeaders,
  contentTypeOf,
  etagOf,
  ifNoneMatchHits,
  NOT_FOUND_CACHE_CONTROL,
  playlistCacheControl,
  segmentCacheControl,
  type CacheResult,
} from './media-headers.js';
import { isLowLatencyFile, isLowLatencyMedia } from './low-latency-query.js';
import { originRefusal } from './origin-refusal.js';
import { originMaxAgeS, playlistLifetime, playlistMaxAgeS, readPlaylistFacts, type PlaylistRoute } from './playlist-policy.js';
import { mediaKindOf, type MediaKind } from './stream-path.js';

/** What the delivery needs of the stream's route. */
export interface MediaRoute extends PlaylistRoute {
  /** `host:port` of the origin holding the stream. */
  origin: string;
  /**
   * A closed recording: nothing of it changes any more, so its final playlist (ENDLIST) is cached
   * and announced like a segment, for good.
   */
  immutable?: boolean;
}

export interface MediaRequest {
  /** The stream, or `videos/<uid>` for a recorded video: named in errors and logs. */
  stream: string;
  file: string;
  /** The origin's folder of the file (`videos/<uid>`); default the stream's. */
  folder?: string;
  /**
   * What of the viewer's query reaches the origin, without `?`: an `ll.m3u8` request's canonical
   * delivery directives (low-latency-query.ts), else ''. Part of the cache key.
   */
  originQuery: string;
  route: MediaRoute;
  method: 'GET' | 'HEAD';
  /** The viewer's conditional and range headers; they are answered here, never sent to the origin. */
  range: string | undefined;
  ifRange: string | undefined;
  ifNoneMatch: string | undefined;
  /** A signal aborted when the viewer leaves; asked for only when the answer has to wait. */
  viewerLeft: () => AbortSignal;
  /**
   * The file is replaced over time (a live stream's thumbnail, or one of a video still recorded):
   * reused, here and downstream, only as long as the origin's `max-age` says, and answered whole.
   */
  mutable?: boolean;
  /**
   * The origin makes the answer when asked (a thumbnail): it may wait in the origin's queue
   * (UPSTREAM_BLOCKING_TIMEOUT_MS for its headers), and the origin's "busy" is relayed.
   */
  madeOnRequest?: boolean;
  /**
   * This viewer's own copy of a playlist (e.g. its playback token carried into the URIs); the
   * cache keeps the origin's text, and the ETag is the copy's.
   */
  rewritePlaylist?: (text: string) => string;
}

export interface MediaDeliveryOptions {
  cache: MediaCache;
  coalescer: Coalescer<CachedMedia>;
  metrics: EdgeMetrics;
  settings: EdgeCacheSettings;
  /** UPSTREAM_BLOCKING_TIMEOUT_MS: the wait for the headers of a request the LL-HLS origin holds. */
  blockingTimeoutMs: number;
  now: () => number;
}

/**
 * What the edge asks an origin: the whole object, unencoded (it is stored for every viewer, gzip
 * or not). The viewer's query string, cookies and conditional headers are not sent.
 */
const ORIGIN_REQUEST_HEADERS = { 'accept-encoding': 'identity' };

export class MediaDelivery {
  constructor(private readonly options: MediaDeliveryOptions) {}

  /**
   * A cache hit is answered at once; a miss waits for the origin. Throws (or rejects with) the
   * LiveError to answer instead, before anything of the answer was written.
   */
  serve(request: MediaRequest, res: ServerResponse): void | Promise<void> {
    const { cache, metrics } = this.options;
    const kind = mediaKindOf(request.file);
    const key = cacheKey(request.route.origin, request);
    const now = this.options.now();

    const cached = cache.get(key);
    if (cached && fresh(cached, request.route, now)) {
      metrics.cacheRequest(kind, 'hit');
      return this.sendWhole(res, request, kind, cached, 'HIT');
    }
    if (cache.isNotFound(key)) {
      metrics.cacheRequest(kind, 'hit');
      throw notFound(request, kind, 'HIT');
    }
    return this.fetch(request, res, kind, key);
  }

  private async fetch(request: MediaRequest, res: ServerResponse, kind: MediaKind, key: string): Promise<void> {
    const { coalescer, metrics } = this.options;
    metrics.cacheRequest(kind, coalescer.isFetching(key) ? 'coalesced' : 'miss');
    const streamed = kind === 'segment' && !request.mutable;
    const joined = await coalescer.join(key, this.plan(request, kind), { signal: request.viewerLeft(), stream: streamed && request.method === 'GET' });
    if (joined.head.statusCode === 404) throw notFound(request, kind, 'MISS');
    if (streamed) return this.sendStreamed(res, request, joined);
    const media = await joined.complete;
    if (!media) {
      const reason = `the ${kind === 'playlist' ? 'playlist' : 'file'} is larger than ${this.options.settings.maxObjectBytes} bytes`;
      throw new OriginBadAnswerError(request.stream, request.route.origin, reason);
    }
    return this.sendWhole(res, request, kind, media, 'MISS');
  }

  /** The origin fetch a miss starts: its request, and what becomes of its answer. */
  private plan(request: MediaRequest, kind: MediaKind): FetchPlan<CachedMedia> {
    const { cache, metrics, now } = this.options;
    const { stream, file, originQuery, route } = request;
    return {
      request: {
        stream,
        origin: route.origin,
        method: 'GET',
        path: originPath(request),
        headers: ORIGIN_REQUEST_HEADERS,
        headersTimeoutMs: isBlocking(originQuery) || request.madeOnRequest || isLowLatencyMedia(file) ? this.options.blockingTimeoutMs : undefined,
      },
      complete: (head, body) => {
        const storedAtMs = now();
        const playlist = kind === 'playlist' ? readPlaylistFacts(body.toString('utf8')) : undefined;
        // Only a blocking answer carries directives that hold it to one query: its reuse is the origin's.
        if (playlist && isBlocking(originQuery)) playlist.blockingMaxAgeS = originMaxAgeS(head.headers['cache-control']);
        const media: CachedMedia = {
          body,
          contentType: contentTypeOf(file, head.headers['content-type']),
          etag: playlist ? etagOf(body) : undefined,
          storedAtMs,
          playlist,
        };
        if (request.mutable) media.expiresAtMs = storedAtMs + originMaxAgeS(head.headers['cache-control']) * 1_000;
        const ttlMs =
          media.expiresAtMs !== undefined
            ? media.expiresAtMs - storedAtMs
            : playlist && !isImmutable(media, route)
              ? playlistLifetime(playlist, route, storedAtMs).cacheMs
              : undefined;
        // Stored under the origin that answered, which a failover may have changed; an answer
        // that may not be reused is not stored (a TTL of 0 would keep it until evicted).
        if (ttlMs !== 0) cache.put(cacheKey(head.origin, request), media, ttlMs);
        return media;
      },
      notFound: (head) => {
        if (!isLowLatencyMedia(file)) cache.putNotFound(cacheKey(head.origin, request));
      },
      refusal: isLowLatencyFile(file) || request.madeOnRequest ? (statusCode, body) => originRefusal(stream, statusCode, body) : undefined,
      ended: (outcome, seconds, bytes) => metrics.originFetch(kind, outcome, seconds, bytes),
    };
  }

  private sendWhole(res: ServerResponse, request: MediaRequest, kind: MediaKind, media: CachedMedia, result: CacheResult): void {
    const now = this.options.now();
    const headers: Record<string, string> = {
      'content-type': media.contentType,
      'cache-control': this.cacheControl(media, request.route, now),
      ...cacheHeaders(kind, result, result === 'HIT' ? ageOf(media.storedAtMs, now) : '0'),
    };
    const { body: whole, etag } = viewerCopy(media, request);
    if (etag !== undefined) {
      headers.etag = etag;
      if (ifNoneMatchHits(request.ifNoneMatch, etag)) {
        res.writeHead(304, headers).end();
        return;
      }
    }
    const size = whole.length;
    const range = kind === 'segment' ? this.rangeOf(request, size) : WHOLE;
    const body = range.kind === 'partial' ? whole.subarray(range.start, range.end + 1) : whole;
    let status = 200;
    if (range.kind === 'partial') {
      status = 206;
      headers['content-range'] = contentRange(range.start, range.end, size);
    }
    if (request.method === 'GET') this.options.metrics.served(kind, body.length);
    headers['content-length'] = String(body.length);
    // Node sends no body for a HEAD request, and keeps the length.
    res.writeHead(status, headers).end(body);
  }

  private sendStreamed(res: ServerResponse, request: MediaRequest, joined: Joined<CachedMedia>): void {
    const { head } = joined;
    const size = head.contentLength;
    const headers: Record<string, string> = {
      'content-type': contentTypeOf(request.file, head.headers['content-type']),
      'cache-control': segmentCacheControl(this.options.settings.segmentMaxAgeS),
      ...cacheHeaders('segment', 'MISS', '0'),
    };
    // Without a Content-Length the size is unknown until the end: the whole body is sent.
    let range = WHOLE;
    try {
      if (size !== undefined) range = this.rangeOf(request, size);
    } catch (error) {
      // The fetch goes on into the cache; this viewer needs none of its bytes.
      joined.body?.destroy();
      throw error;
    }
    let start = 0;
    let end = Infinity;
    let status = 200;
    if (range.kind === 'partial' && size !== undefined) {
      ({ start, end } = range);
      status = 206;
      headers['content-range'] = contentRange(start, end, size);
    }
    if (size !== undefined) headers['content-length'] = String(Math.min(end, size - 1) - start + 1);
    res.writeHead(status, headers);
    if (!joined.body) {
      res.end();
      return;
    }
    const { metrics } = this.options;
    // A failed or cut fetch cuts the viewer's connection (its answer cannot be completed); a
    // viewer that leaves releases its share of the fetch. Either end is reported by the fetch.
    pipeline(bodyWindow(joined.body, start, end, (bytes) => metrics.served('segment', bytes)), res, ignoreOutcome);
  }

  /** Throws the 416 answer for a range past the end. */
  private rangeOf(request: MediaRequest, size: number): RangeAnswer {
    const range = rangeFor(request.range, request.ifRange, size);
    if (range.kind !== 'unsatisfiable') return range;
    const error = new RangeNotSatisfiableError(request.range ?? '', size);
    error.headers = { ...cacheHeaders('segment', 'MISS', '0'), ...error.headers };
    throw error;
  }

  private cacheControl(media: CachedMedia, route: MediaRoute, now: number): string {
    const { settings } = this.options;
    // What is left of the origin's max-age, in whole seconds (a fresh object has some left).
    if (media.expiresAtMs !== undefined) return playlistCacheControl(Math.max(0, Math.ceil((media.expiresAtMs - now) / 1_000)));
    if (!media.playlist || isImmutable(media, route)) return segmentCacheControl(settings.segmentMaxAgeS);
    return playlistCacheControl(playlistMaxAgeS(playlistLifetime(media.playlist, route, now), settings.endedPlaylistMaxAgeS));
  }
}

const WHOLE: RangeAnswer = { kind: 'whole' };

function ignoreOutcome(): void {}

/**
 * Per origin: after a switch of origin nothing fetched from the other one is served. The origin
 * query (only ever an `ll.m3u8` request's directives) is part of it.
 */
function cacheKey(origin: string, request: Pick<MediaRequest, 'stream' | 'folder' | 'file' | 'originQuery'>): string {
  return `${origin}${originPath(request)}`;
}

/** The request target the origin gets. */
function originPath({ stream, folder, file, originQuery }: Pick<MediaRequest, 'stream' | 'folder' | 'file' | 'originQuery'>): string {
  return `/${folder ?? stream}/${file}${originQuery === '' ? '' : `?${originQuery}`}`;
}

/** A segment, or the final playlist of a closed recording (an EVENT playlist cached while it was recorded is not). */
function isImmutable(media: CachedMedia, route: MediaRoute): boolean {
  return !media.playlist || (route.immutable === true && media.playlist.hasEndList);
}

/** `_HLS_msn` (first in the canonical form) asks the origin to hold the request until the playlist holds that part. */
function isBlocking(originQuery: string): boolean {
  return originQuery.startsWith('_HLS_msn=');
}

/**
 * Segments never change. A playlist is fresh for its lifetime under the route as it is now: the
 * final playlist of an ended stream is stale at once when the stream is live again.
 */
function fresh(media: CachedMedia, route: MediaRoute, now: number): boolean {
  if (media.expiresAtMs !== undefined) return now < media.expiresAtMs;
  return !media.playlist || isImmutable(media, route) || now - media.storedAtMs < playlistLifetime(media.playlist, route, media.storedAtMs).cacheMs;
}

function viewerCopy(media: CachedMedia, request: MediaRequest): { body: Buffer; etag: string | undefined } {
  if (!media.playlist || !request.rewritePlaylist) return media;
  const body = Buffer.from(request.rewritePlaylist(media.body.toString('utf8')), 'utf8');
  return { body, etag: etagOf(body) };
}

function notFound(request: MediaRequest, kind: MediaKind, result: CacheResult): MediaNotFoundError {
  const error = new MediaNotFoundError(request.stream, request.file);
  error.headers = { 'cache-control': NOT_FOUND_CACHE_CONTROL, ...cacheHeaders(kind, result, '0') };
  return error;
}
