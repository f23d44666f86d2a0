import { LRUCache } from 'lru-cache';
import type { PlaylistFacts } from './playlist-policy.js';

/** A whole playlist or segment as the origin served it (200), held in memory. */
export interface CachedMedia {
  body: Buffer;
  contentType: string;
  /** Strong validator of a playlist: a hash of the body (segments never change and have none). */
  etag: string | undefined;
  /** When the edge got it, on the cache's clock; the `Age` header counts from here. */
  storedAtMs: number;
  /** What a playlist says about its own lifetime; undefined for segments, which never change. */
  playlist: PlaylistFacts | undefined;
  /** A file replaced over time (a live thumbnail): stale from here, on the cache's clock (the origin's max-age). */
  expiresAtMs?: number;
}

export interface MediaCacheOptions {
  /** EDGE_CACHE_MAX_BYTES */
  maxBytes: number;
  /** EDGE_CACHE_MAX_OBJECT_BYTES: a larger body is refused. */
  maxObjectBytes: number;
  /** EDGE_NOT_FOUND_CACHE_MS */
  notFoundMs: number;
  /** EDGE_NOT_FOUND_CACHE_ENTRIES */
  notFoundEntries: number;
  /** The clock of every lifetime in the cache; defaults to Date.now. */
  now?: () => number;
}

/**
 * The edge's in-memory store of playlists and segments, keyed `<origin>/<stream>/<file>` so that
 * nothing fetched from one origin is served for another. Bodies are bounded in bytes, least
 * recently used first out; origin 404s are kept apart, briefly and bounded in count.
 */
export class MediaCache {
  private readonly objects: LRUCache<string, CachedMedia>;
  private readonly notFound: LRUCache<string, true>;
  private readonly notFoundMs: number;

  constructor(options: MediaCacheOptions) {
    // ttlResolution 0: every expiry check reads the clock (lru-cache would otherwise reuse a
    // reading for a millisecond of real time, which a test's hand-moved clock would not see).
    const clock = { perf: { now: options.now ?? Date.now }, ttlResolution: 0 };
    this.objects = new LRUCache<string, CachedMedia>({
      maxSize: options.maxBytes,
      maxEntrySize: Math.min(options.maxObjectBytes, options.maxBytes),
      sizeCalculation: (media) => Math.max(1, media.body.length),
      ...clock,
    });
    this.notFoundMs = options.notFoundMs;
    this.notFound = new LRUCache<string, true>({
      max: options.notFoundEntries,
      ttl: Math.max(1, options.notFoundMs),
      ...clock,
    });
  }

  get(key: string): CachedMedia | undefined {
    return this.objects.get(key);
  }

  /**
   * Stores `media`, for `ttlMs` at most or (undefined) until evicted. A body over the object bound
   * is not stored. A playlist's freshness is decided when it is served (see playlist-policy.ts):
   * the TTL only frees its memory.
   */
  put(key: string, media: CachedMedia, ttlMs: number | undefined): void {
    this.notFound.delete(key);
    this.objects.set(key, media, { ttl: ttlMs });
  }

  isNotFound(key: string): boolean {
    return this.notFound.has(key);
  }

  /** Remembers an origin 404 for EDGE_NOT_FOUND_CACHE_MS (0: not at all). */
  putNotFound(key: string): void {
    this.objects.delete(key);
    if (this.notFoundMs > 0) this.notFound.set(key, true);
  }

  /** Bytes of bodies held. */
  bytes(): number {
    return this.objects.calculatedSize;
  }

  /** Playlists and segments held (expired ones until they are next touched or evicted). */
  entries(): number {
    return this.objects.size;
  }

  notFoundEntries(): number {
    return this.notFound.size;
  }
}
