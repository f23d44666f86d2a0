import { LRUCache } from 'lru-cache';
import type { VideoLocation } from '../../internal-api/src/video-contract.js';
import { RouteApiUnavailableError, VideoNotFoundError } from './errors.js';
import type { PlaybackPolicy } from './route-resolver.js';

/** The one question about a video: where it is and who may play it; null when the API has no such video. */
export interface VideoLookup {
  lookupVideo(uid: string): Promise<VideoLocation | null>;
}

/** A recorded video as the edge serves it. */
export interface ResolvedVideo {
  /** The stream it was recorded from: its playback tokens are that stream's (`sub`). */
  stream: string;
  /** `host:port` of the origin holding its files. */
  origin: string;
  /** Closed (VOD with ENDLIST): its files never change. */
  ready: boolean;
  playback: PlaybackPolicy;
}

export interface VideoResolverOptions {
  /** ROUTE_CACHE_MS: a known video is asked about again after this (a deletion shows within it). */
  cacheMs: number;
  /** ROUTE_NOT_LIVE_CACHE_MS: an unknown uid is asked about again after this. */
  notFoundCacheMs: number;
  /** ROUTE_STALE_MS: while the API fails, a known video is served this long after its last answer. */
  staleMs: number;
  /** ROUTE_CACHE_MAX_ENTRIES: random uids cannot grow memory past it. */
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  video: ResolvedVideo | null;
  checkedAt: number;
  /** The API's last answer; the stale window runs from here. */
  answeredAt: number;
}

/**
 * Where the recorded videos are (`/videos/<uid>/…`), like the route resolver for live streams:
 * the API's answers are reused briefly, one question per uid in flight, and a known video is
 * still served while the API is down, for the stale window.
 */
export class VideoResolver {
  private readonly entries: LRUCache<string, Entry>;
  private readonly inFlight = new Map<string, Promise<ResolvedVideo>>();
  private readonly now: () => number;

  constructor(
    private readonly videos: VideoLookup,
    private readonly options: VideoResolverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.entries = new LRUCache({ max: options.maxEntries });
  }

  /** The video; throws VideoNotFoundError or RouteApiUnavailableError. */
  resolve(uid: string): Promise<ResolvedVideo> {
    const entry = this.entries.get(uid);
    if (entry && this.now() - entry.checkedAt < (entry.video ? this.options.cacheMs : this.options.notFoundCacheMs)) {
      return entry.video ? Promise.resolve(entry.video) : Promise.reject(new VideoNotFoundError(uid));
    }
    let pending = this.inFlight.get(uid);
    if (!pending) {
      pending = this.ask(uid, entry).finally(() => this.inFlight.delete(uid));
      this.inFlight.set(uid, pending);
    }
    return pending;
  }

  private async ask(uid: string, previous: Entry | undefined): Promise<ResolvedVideo> {
    let location: VideoLocation | null;
    try {
      location = await this.videos.lookupVideo(uid);
    } catch (error) {
      const now = this.now();
      if (previous?.video && now - previous.answeredAt <= this.options.staleMs) {
        this.entries.set(uid, { ...previous, checkedAt: now });
        return previous.video;
      }
      throw new RouteApiUnavailableError(`videos/${uid}`, 'the video API is unavailable', { cause: error });
    }
    const now = this.now();
    const video: ResolvedVideo | null = location && {
      stream: location.stream,
      origin: location.origin_host,
      ready: location.state === 'ready',
      playback: { requireSignedUrls: location.require_signed_urls, allowedOrigins: location.allowed_origins },
    };
    this.entries.set(uid, { video, checkedAt: now, answeredAt: now });
    if (!video) throw new VideoNotFoundError(uid);
    return video;
  }
}
