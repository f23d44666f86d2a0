import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Where sightings go: the API's `POST /views` (one request per flush). */
export interface ViewerReporter {
  reportViews(streams: Record<string, string[]>): Promise<void>;
}

export interface ViewerSessionsOptions {
  reporter: ViewerReporter;
  /** VIEWER_REPORT_INTERVAL_MS: one batch this often. */
  intervalMs: number;
  /** Sightings held for one batch at most; past it new sessions wait for the next batch. */
  maxSessionsPerBatch: number;
  /** Streams in one batch at most (the API refuses more). */
  maxStreamsPerBatch: number;
  /** A session not seen for this long no longer counts as watching (the API's VIEWER_IDLE_SECONDS). */
  idleMs: number;
  /** Sessions this edge remembers for its own live count; past it the least recent are forgotten. */
  maxLiveSessions: number;
  log: { warn(fields: object, message: string): void };
}

/**
 * A playback session is identified without cookies: the stream, the client's address and its
 * user agent, hashed (the address never leaves the edge). Playlist and segment requests both
 * count; the API turns sightings into live viewers, views and time viewed across all edges.
 */
export function viewerSessionId(stream: string, clientAddress: string, userAgent: string | undefined): string {
  return hash('sha256', `${stream}\0${clientAddress}\0${userAgent ?? ''}`, 'base64url').slice(0, 22);
}

/**
 * Collects sightings in memory and sends them in one batch per interval, so counting adds no
 * request to the viewer's path. A failed batch is dropped (the next sighting of a session, a
 * second later, counts it again): counts stay approximate during an API outage, memory bounded.
 */
export class ViewerSessions {
  private pending = new Map<string, Set<string>>();
  /** Sessions seen within `idleMs`, for this edge's own live viewer gauge. */
  private readonly live: LRUCache<string, true>;
  private pendingSessions = 0;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: ViewerSessionsOptions) {
    this.live = new LRUCache({ max: options.maxLiveSessions, ttl: options.idleMs, ttlAutopurge: false });
    this.timer = setInterval(() => void this.flush(), options.intervalMs);
    this.timer.unref();
  }

  seen(stream: string, sessionId: string): void {
    this.live.set(sessionId, true);
    let sessions = this.pending.get(stream);
    if (sessions?.has(sessionId) || this.pendingSessions >= this.options.maxSessionsPerBatch) return;
    if (!sessions) {
      if (this.pending.size >= this.options.maxStreamsPerBatch) return;
      sessions = new Set();
      this.pending.set(stream, sessions);
    }
    sessions.add(sessionId);
    this.pendingSessions += 1;
  }

  /** Sessions this edge saw within the idle time (all streams). */
  liveSessions(): number {
    this.live.purgeStale();
    return this.live.size;
  }

  /** Sends what was seen since the last batch; one batch in flight at a time. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return Promise.resolve();
    const batch = Object.fromEntries([...this.pending].map(([stream, sessions]) => [stream, [...sessions]]));
    this.pending = new Map();
    this.pendingSessions = 0;
    this.flushing = this.options.reporter
      .reportViews(batch)
      .catch((error: unknown) => this.options.log.warn({ err: error, streams: Object.keys(batch).length }, 'viewer sightings not reported'))
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Stops the timer and sends the last batch. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
