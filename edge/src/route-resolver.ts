import type { NoRoute } from '../../internal-api/src/route-contract.js';
import { RouteApiUnavailableError, StreamNotLiveError, streamOffline } from './errors.js';

/** Who may play a stream, as the API says (seed 004's requireSignedURLs and allowedOrigins). */
export interface PlaybackPolicy {
  requireSignedUrls: boolean;
  /** Exact hosts (`example.com`, `app.example.com:8443`) and `*.example.com` wildcards; empty: any. */
  allowedOrigins: readonly string[];
}

export const OPEN_PLAYBACK: PlaybackPolicy = { requireSignedUrls: false, allowedOrigins: [] };

/** What the route API knows about a stream that is live or just ended. */
export interface RouteAnswer {
  /** The origin the API prefers (`host:port`). */
  host: string;
  /** Every origin that currently holds the stream. */
  origins: readonly string[];
  /** The broadcast ended; its origins still serve the final playlist until `endsAtMs`. */
  ended: boolean;
  /** Unix ms at which the ended stream stops being offered; undefined while live. */
  endsAtMs: number | undefined;
  playback: PlaybackPolicy;
  /** The video recording the live session (`/<id>/lifecycle`); undefined when none is (or an older API). */
  liveVideoUid?: string | undefined;
}

/** The one question the resolver asks. Throws when the answer cannot be had (API down, 5xx). */
export interface RouteLookup {
  lookup(stream: string): Promise<RouteAnswer | NoRoute>;
}

/** Where to fetch a stream from, and what the edge must know to serve it. */
export interface ResolvedRoute {
  origin: string;
  ended: boolean;
  endsAtMs: number | undefined;
  playback: PlaybackPolicy;
  liveVideoUid?: string | undefined;
}

export interface ResolverLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RouteResolverOptions {
  /** ROUTE_CACHE_MS */
  cacheMs: number;
  /** ROUTE_NOT_LIVE_CACHE_MS: kept short so a stream that just went live is found quickly. */
  notLiveCacheMs: number;
  /** ROUTE_STALE_MS */
  staleMs: number;
  /** ROUTE_CACHE_MAX_ENTRIES: streams remembered at once; random names cannot grow memory past it. */
  maxEntries: number;
  /** ORIGIN_FAILOVER_MS: how long an origin that failed is avoided while another holds the stream. */
  failoverMs: number;
  /**
   * How long the API's "not live" is not believed for a route the edge uses, from the route's last
   * confirmation (or from the API's return after an outage the edge served it through); default
   * API_RECOVERY_MS.
   */
  apiRecoveryMs?: number;
  log: ResolverLog;
  now?: () => number;
}

interface Entry {
  /** The route in use; undefined when the API last said the stream is not live. */
  route: ResolvedRoute | undefined;
  /** Without a route: the stream exists (its playlists answer 204), rather than no such stream. */
  offline?: boolean;
  /** Every origin the API listed with it, in its order of preference (its choice first). */
  origins: readonly string[];
  /** Last time the API was asked about the stream; the cache runs from here. */
  checkedAt: number;
  /** Last time the API confirmed the route; the stale window runs from here. */
  confirmedAt: number;
  /** True while the route is used without the API, so the warning is logged once per outage. */
  stale: boolean;
  /**
   * While the API answers "not live" and the route is kept (see `held`): where its apiRecoveryMs
   * counts from, the route's last confirmation or the API's return after an outage.
   */
  heldSince?: number;
}

/** Entries no longer useful are dropped at most this often. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * A route lives in the API's Redis for ROUTE_TTL_SECONDS (default 30) after its origin's last
 * report. The API can be without the streams that are still live until their discovery reports
 * them again: once back from an outage longer than that, or at once when its Redis lost the live
 * state (failed over to a replica that lagged, restarted without AOF). Discovery reports a live
 * stream at least three times per TTL and retries a lost API at least every API_RETRY_MAX_MS
 * (5 s), so within one route TTL a "not live" answer may only mean "not reported yet".
 */
export const API_RECOVERY_MS = 30_000;

/** Logged when a route is forgotten, by the API's answer. */
const FORGOTTEN: Readonly<Record<NoRoute, string>> = {
  'not-live': 'stream is no longer live: forgetting its origin',
  'no-such-stream': 'stream no longer exists: forgetting its origin',
};

/**
 * Finds the origin that serves a stream: the API's choice, which lists a stream's origins in the
 * platform's one order of preference (newest registration first: where the publisher is, see the
 * API's RouteStore), so viewers move with a publisher that came back on another origin. It
 * leaves an origin that fails (`originFailed`) for the next one the API lists, and keeps known
 * routes while the API is down, for `staleMs`, and while the API says "not live" about a route it
 * confirmed lately (`held`), until their streams are reported to it again.
 */
export class RouteResolver {
  /** Insertion order is last-refresh order: the first entries are the first to go when full. */
  private readonly entries = new Map<string, Entry>();
  /** One question in flight per stream; concurrent requests share it. */
  private readonly inFlight = new Map<string, Promise<Entry>>();
  /** `stream origin` → until when that origin is avoided for that stream. */
  private readonly failedUntil = new Map<string, number>();
  private readonly now: () => number;
  private lastSweepAt: number;

  constructor(
    private readonly routes: RouteLookup,
    private readonly options: RouteResolverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.lastSweepAt = this.now();
  }

  /** The route of `stream`; throws StreamNotLiveError or RouteApiUnavailableError. */
  async resolve(stream: string): Promise<ResolvedRoute> {
    return this.known(stream) ?? this.routeOf(stream, await this.refresh(stream));
  }

  /**
   * The route of `stream` as far as the cache answers without the API: the route, or a
   * StreamNotLiveError thrown; undefined when the API must be asked (`resolve`). Synchronous, for
   * the hot path.
   */
  known(stream: string): ResolvedRoute | undefined {
    const now = this.now();
    this.sweep(now);
    const entry = this.entries.get(stream);
    if (entry === undefined) return undefined;
    const reuseMs = entry.route === undefined ? this.options.notLiveCacheMs : this.options.cacheMs;
    return now - entry.checkedAt < reuseMs ? this.routeOf(stream, entry) : undefined;
  }

  private routeOf(stream: string, { route, offline }: Entry): ResolvedRoute {
    if (route === undefined) throw offline ? streamOffline(stream) : new StreamNotLiveError(stream);
    // An ended stream whose grace ran out is over, even while the API cannot say so.
    if (route.endsAtMs !== undefined && this.now() >= route.endsAtMs) throw streamOffline(stream);
    return route;
  }

  /**
   * `origin` failed to serve `stream` (refused, timed out): it is avoided for `failoverMs` and the
   * next origin the API listed takes over. Returns the new route, or undefined when no other
   * origin holds the stream.
   */
  originFailed(stream: string, origin: string): ResolvedRoute | undefined {
    const now = this.now();
    this.failedUntil.set(`${stream} ${origin}`, now + this.options.failoverMs);
    const entry = this.entries.get(stream);
    if (!entry?.route || entry.route.origin !== origin) return entry?.route;
    if (entry.heldSince !== undefined) {
      // Held only while its origin serves it: nothing vouches for the stream any more.
      this.options.log.info({ stream, origin }, 'the origin of a stream the route API does not list failed: forgetting it');
      this.entries.set(stream, { route: undefined, offline: true, origins: [], checkedAt: now, confirmedAt: now, stale: false });
      return undefined;
    }
    const next = entry.origins.find((candidate) => !this.avoided(stream, candidate, now));
    if (next === undefined) return undefined;
    this.options.log.warn({ stream, from: origin, to: next }, 'origin failed: switching to another origin of the stream');
    const route = { ...entry.route, origin: next };
    this.entries.set(stream, { ...entry, route });
    return route;
  }

  private refresh(stream: string): Promise<Entry> {
    let pending = this.inFlight.get(stream);
    if (!pending) {
      pending = this.ask(stream).finally(() => this.inFlight.delete(stream));
      this.inFlight.set(stream, pending);
    }
    return pending;
  }

  private async ask(stream: string): Promise<Entry> {
    let answer: RouteAnswer | NoRoute;
    try {
      answer = await this.routes.lookup(stream);
    } catch (error) {
      return this.withoutApi(stream, error);
    }
    const now = this.now();
    const previous = this.entries.get(stream);
    if (previous?.stale) this.options.log.info({ stream }, 'route API answers again');

    if (typeof answer === 'string') {
      // A stream the API does not know (deleted) stops at once, whatever its origin still serves.
      const held = answer === 'not-live' ? this.held(stream, previous, now) : undefined;
      if (held) return this.remember(stream, held);
      if (previous?.route !== undefined) this.options.log.info({ stream, origin: previous.route.origin }, FORGOTTEN[answer]);
      const offline = answer === 'not-live';
      return this.remember(stream, { route: undefined, offline, origins: [], checkedAt: now, confirmedAt: now, stale: false });
    }
    const origins = [answer.host, ...answer.origins.filter((candidate) => candidate !== answer.host)];
    // Every listed origin failed lately: try the API's choice again rather than nothing.
    const origin = origins.find((candidate) => !this.avoided(stream, candidate, now)) ?? answer.host;
    const previousOrigin = previous?.route?.origin;
    if (previousOrigin !== undefined && previousOrigin !== origin) {
      this.options.log.info({ stream, from: previousOrigin, to: origin }, 'the stream moved to another origin: switching');
    }
    const route: ResolvedRoute = {
      origin,
      ended: answer.ended,
      endsAtMs: answer.endsAtMs,
      playback: answer.playback,
      liveVideoUid: answer.liveVideoUid,
    };
    return this.remember(stream, { route, origins, checkedAt: now, confirmedAt: now, stale: false });
  }

  /**
   * The API says "not live" about a route the edge uses, which may only mean that the stream was
   * not reported to it again yet (API_RECOVERY_MS): the route is kept for apiRecoveryMs from its
   * last confirmation, or from the API's return when the edge served it through an outage, and
   * never past the stale window. Its origin still decides what viewers get: the live playlist while
   * it serves one, its 404 or final ENDLIST playlist when the stream is over there, and an origin
   * that fails ends the hold (`originFailed`). Undefined: the answer stands.
   */
  private held(stream: string, previous: Entry | undefined, now: number): Entry | undefined {
    if (previous?.route === undefined || now - previous.confirmedAt > this.options.staleMs) return undefined;
    const heldSince = previous.stale ? now : (previous.heldSince ?? previous.confirmedAt);
    if (now - heldSince >= (this.options.apiRecoveryMs ?? API_RECOVERY_MS)) return undefined;
    if (previous.stale) {
      this.options.log.info(
        { stream, origin: previous.route.origin },
        'route API is back but does not list the stream yet: keeping its origin while streams are reported again',
      );
    } else if (previous.heldSince === undefined) {
      this.options.log.info(
        { stream, origin: previous.route.origin, confirmedMsAgo: now - previous.confirmedAt },
        'route API no longer lists a stream it listed lately: keeping its origin while the stream is reported again',
      );
    }
    return { ...previous, checkedAt: now, stale: false, heldSince };
  }

  /** The API failed: keep the last known route within the stale window, else give up. */
  private withoutApi(stream: string, error: unknown): Entry {
    const now = this.now();
    const previous = this.entries.get(stream);
    if (previous?.route === undefined) {
      throw new RouteApiUnavailableError(stream, 'the route API is unavailable', { cause: error });
    }
    if (now - previous.confirmedAt > this.options.staleMs) {
      this.entries.delete(stream);
      this.options.log.warn(
        { stream, origin: previous.route.origin, staleMs: this.options.staleMs },
        'route API still unavailable: the last known origin is too old to use',
      );
      throw new RouteApiUnavailableError(stream, 'the route API is unavailable', { cause: error });
    }
    if (!previous.stale) {
      this.options.log.warn(
        { stream, origin: previous.route.origin, err: error },
        'route API unavailable: keeping the last known origin',
      );
    }
    // Counting the failure as a check spaces out the next try by ROUTE_CACHE_MS, so a hanging API
    // does not delay every request.
    return this.remember(stream, { ...previous, checkedAt: now, stale: true });
  }

  private remember(stream: string, entry: Entry): Entry {
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(oldest);
    }
    return entry;
  }

  private avoided(stream: string, origin: string, now: number): boolean {
    const until = this.failedUntil.get(`${stream} ${origin}`);
    return until !== undefined && now < until;
  }

  private sweep(now: number): void {
    if (now - this.lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.lastSweepAt = now;
    const { cacheMs, staleMs } = this.options;
    for (const [stream, entry] of this.entries) {
      // A live route may still serve as a stale fallback; a not-live answer only as a cache.
      const usefulMs = entry.route === undefined ? cacheMs : Math.max(cacheMs, staleMs);
      if (now - entry.checkedAt > usefulMs && !this.inFlight.has(stream)) this.entries.delete(stream);
    }
    for (const [key, until] of this.failedUntil) if (now >= until) this.failedUntil.delete(key);
  }
}
