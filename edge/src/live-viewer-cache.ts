import { LRUCache } from 'lru-cache';
import type { LiveViewerCounts } from './api-client.js';

export interface LiveViewerCacheOptions {
  /** VIEWS_CACHE_MS */
  cacheMs: number;
  now: () => number;
}

/** Streams whose counts are remembered at once: random names cannot grow memory past it. */
const MAX_STREAMS = 10_000;

/**
 * The public `/<stream>/views` answer, asked of the API at most once per stream per `cacheMs`,
 * however many players poll it; concurrent misses share one question.
 */
export class LiveViewerCache {
  private readonly counts: LRUCache<string, number>;

  constructor(source: LiveViewerCounts, options: LiveViewerCacheOptions) {
    this.counts = new LRUCache<string, number>({
      max: MAX_STREAMS,
      ttl: Math.max(1, options.cacheMs),
      perf: { now: options.now },
      fetchMethod: (stream) => source.liveViewers(stream),
    });
  }

  async get(stream: string): Promise<number> {
    return (await this.counts.fetch(stream)) ?? 0;
  }
}
