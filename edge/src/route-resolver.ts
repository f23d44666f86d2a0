import { RouteApiUnavailableError, StreamNotLiveError } from './errors.js';

/** What the route API knows about a live stream. */
export interface RouteAnswer {
  /** The origin the API prefers (`host:port`). */
  host: string;
  /** Every origin that currently holds the stream. */
  origins: readonly string[];
}

/** The one question the resolver asks. Throws when the answer cannot be had (API down, 5xx). */
export interface RouteLookup {
  lookup(stream: string): Promise<RouteAnswer | 'not-live'>;
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
  log: ResolverLog;
  now?: () => number;
}

interface Entry {
  /** The origin in use; undefined when the API last said the stream is not live. */
  host: string | undefined;
  /** Last time the API was asked about the stream; the cache runs from here. */
  checkedAt: number;
  /** Last time the API confirmed `host`; the stale window runs from here. */
  confirmedAt: number;
  /** True while `host` is used without the API, so the warning is logged once per outage. */
  stale: boolean;
}

/** Entries no longer useful are dropped at most this often. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * Finds the origin that serves a stream, and sticks to it: once an origin is chosen it stays as
 * long as the API still lists it, even when the API comes to prefer another one, so a player does
 * not hop between origins whose playlists and segment numbers differ.
 */
export class RouteResolver {
  private readonly entries = new Map<string, Entry>();
  /** One question in flight per stream; concurrent requests share it. */
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private readonly now: () => number;
  private lastSweepAt: number;

  constructor(
    private readonly routes: RouteLookup,
    private readonly options: RouteResolverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.lastSweepAt = this.now();
  }

  /** The origin (`host:port`) to proxy `stream` to; throws StreamNotLiveError or RouteApiUnavailableError. */
  async resolve(stream: string): Promise<string> {
    const now = this.now();
    this.sweep(now);
    const cached = this.entries.get(stream);
    const reuseMs = cached?.host === undefined ? this.options.notLiveCacheMs : this.options.cacheMs;
    const entry = cached && now - cached.checkedAt < reuseMs ? cached : await this.refresh(stream);
    if (entry.host === undefined) throw new StreamNotLiveError(stream);
    return entry.host;
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
    let answer: RouteAnswer | 'not-live';
    try {
      answer = await this.routes.lookup(stream);
    } catch (error) {
      return this.withoutApi(stream, error);
    }
    const now = this.now();
    const previous = this.entries.get(stream);
    if (previous?.stale) this.options.log.info({ stream }, 'route API answers again');

    let host: string | undefined;
    if (answer === 'not-live') {
      if (previous?.host !== undefined) {
        this.options.log.info({ stream, origin: previous.host }, 'stream is no longer live: forgetting its origin');
      }
    } else if (previous?.host !== undefined && lists(answer, previous.host)) {
      host = previous.host;
    } else {
      host = answer.host;
      if (previous?.host !== undefined) {
        this.options.log.info({ stream, from: previous.host, to: host }, 'origin no longer holds the stream: switching');
      }
    }
    const entry: Entry = { host, checkedAt: now, confirmedAt: now, stale: false };
    this.entries.set(stream, entry);
    return entry;
  }

  /** The API failed: keep the last known origin within the stale window, else give up. */
  private withoutApi(stream: string, error: unknown): Entry {
    const now = this.now();
    const previous = this.entries.get(stream);
    if (previous?.host === undefined) {
      throw new RouteApiUnavailableError(stream, 'the route API is unavailable', { cause: error });
    }
    if (now - previous.confirmedAt > this.options.staleMs) {
      this.entries.delete(stream);
      this.options.log.warn(
        { stream, origin: previous.host, staleMs: this.options.staleMs },
        'route API still unavailable: the last known origin is too old to use',
      );
      throw new RouteApiUnavailableError(stream, 'the route API is unavailable', { cause: error });
    }
    if (!previous.stale) {
      this.options.log.warn(
        { stream, origin: previous.host, err: error },
        'route API unavailable: keeping the last known origin',
      );
    }
    // Counting the failure as a check spaces out the next try by ROUTE_CACHE_MS, so a hanging API
    // does not delay every request.
    const entry: Entry = { ...previous, checkedAt: now, stale: true };
    this.entries.set(stream, entry);
    return entry;
  }

  private sweep(now: number): void {
    if (now - this.lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.lastSweepAt = now;
    const { cacheMs, staleMs } = this.options;
    for (const [stream, entry] of this.entries) {
      // A live route may still serve as a stale fallback; a not-live answer only as a cache.
      const usefulMs = entry.host === undefined ? cacheMs : Math.max(cacheMs, staleMs);
      if (now - entry.checkedAt > usefulMs && !this.inFlight.has(stream)) this.entries.delete(stream);
    }
  }
}

function lists(answer: RouteAnswer, host: string): boolean {
  return answer.host === host || answer.origins.includes(host);
}
