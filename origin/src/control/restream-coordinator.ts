import type { Logger } from '../../../service-kit/src/logger.js';
import type { FallbackCache, FallbackRef } from '../fallback/index.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { RestreamManager, type PushCounters, type RestreamSettings, type RestreamState } from '../restream/index.js';
import type { ApiRestreamClient } from './api-restream-client.js';

export interface RestreamCoordinatorOptions {
  client: Pick<ApiRestreamClient, 'config' | 'reportStatus'>;
  settings: RestreamSettings;
  /** How long target connections wait for a publisher that left to come back. */
  reconnectWindowMs: number;
  /** Status of live targets is re-sent this often (bytes and bitrate move continuously). */
  statusIntervalMs: number;
  logger: Logger;
  /** Fallback videos are downloaded as soon as a stream's configuration names them, not when needed. */
  fallbackCache?: Pick<FallbackCache, 'file'>;
  /** Every push's bytes, retries, failures and skips (metrics). */
  counters?: PushCounters;
}

/**
 * A stream's pushes at a change of source. `newEncoding`: the next source is encoded otherwise
 * (a fallback video and the live stream it stands in for never match), and the targets must
 * take its sequence headers on the connection they have, as the issue asks; without it a
 * changed header makes the pushes republish. RestreamManager ignores the flag until the restream
 * engine supports it (PushPipeline.sourceRestarted must then forget the headers it sent).
 */
interface SourceSwitches {
  sourceRestarted(newEncoding?: boolean): void;
}

interface StreamRestream {
  manager: RestreamManager;
  /** A fallback fed the pushes since the publisher left. */
  fallbackPlayed: boolean;
  version: number | undefined;
  /** As of the latest configuration fetched; undefined before the first. */
  fallback: FallbackRef | null | undefined;
  fetching: boolean;
  endTimer?: NodeJS.Timeout;
  statusDirty: boolean;
}

/**
 * Keeps each live stream's pushes in step with its targets in the API: fetched when the stream
 * goes live and again whenever the heartbeat says their version changed. Target connections
 * outlive a publisher's drop-out for `reconnectWindowMs`, so a returning publisher resumes the
 * pushes without the targets seeing a new publish; meanwhile the stream's fallback video, if it
 * has one, is pushed instead (the configuration names it; it is downloaded when named).
 */
export class RestreamCoordinator {
  private readonly streams = new Map<string, StreamRestream>();
  private readonly statusTimer: NodeJS.Timeout;

  constructor(private readonly options: RestreamCoordinatorOptions) {
    this.statusTimer = setInterval(() => {
      this.reportAll();
      this.refreshStreamsWithoutPublisher();
    }, options.statusIntervalMs);
    this.statusTimer.unref();
  }

  /** A publish of `stream` started here: returns where its tags go. */
  publishStarted(stream: string): (tag: FlvTag) => void {
    let entry = this.streams.get(stream);
    if (entry) {
      clearTimeout(entry.endTimer);
      delete entry.endTimer;
      switchesOf(entry).sourceRestarted(entry.fallbackPlayed);
      entry.fallbackPlayed = false;
    } else {
      const created: StreamRestream = {
        manager: new RestreamManager({
          settings: this.options.settings,
          logger: this.options.logger.child({ stream }),
          counters: this.options.counters,
          onStatus: () => {
            created.statusDirty = true;
            queueMicrotask(() => this.report(stream));
          },
        }),
        fallbackPlayed: false,
        version: undefined,
        fallback: undefined,
        fetching: false,
        statusDirty: false,
      };
      entry = created;
      this.streams.set(stream, entry);
    }
    this.refresh(stream);
    const manager = entry.manager;
    return (tag) => manager.push(tag);
  }

  /**
   * The stream's fallback video took over from the publisher that left: returns where its tags
   * go, or undefined when the stream's pushes have already ended. The reconnect window runs on.
   */
  fallbackStarted(stream: string): ((tag: FlvTag) => void) | undefined {
    const entry = this.streams.get(stream);
    if (!entry) return undefined;
    switchesOf(entry).sourceRestarted(true);
    entry.fallbackPlayed = true;
    const manager = entry.manager;
    return (tag) => manager.push(tag);
  }

  /** The stream's fallback video as the API last named it; undefined without one or before the first fetch. */
  fallbackOf(stream: string): FallbackRef | undefined {
    return this.streams.get(stream)?.fallback ?? undefined;
  }

  /** The publisher left: pushes wait for it (with the fallback video, if any) for the reconnect window, then end. */
  publishEnded(stream: string): void {
    const entry = this.streams.get(stream);
    if (!entry) return;
    entry.manager.sourceEnded();
    clearTimeout(entry.endTimer);
    entry.endTimer = setTimeout(() => void this.end(stream), this.options.reconnectWindowMs);
    entry.endTimer.unref();
  }

  /** The state of every push of every stream (metrics). */
  pushStates(): RestreamState[] {
    return [...this.streams.values()].flatMap((entry) => entry.manager.statuses().map((status) => status.state));
  }

  /** Streams whose pushes wait for a publisher that left (with the fallback video, if any). */
  waitingStreams(): string[] {
    return [...this.streams].filter(([, entry]) => entry.endTimer).map(([stream]) => stream);
  }

  /** The stream was deleted: its pushes end now, the reconnect window is not waited for. */
  endForGood(stream: string): Promise<void> {
    return this.end(stream);
  }

  /** The API's current target versions per live stream (from the heartbeat answer). */
  versionsChanged(versions: Record<string, number>): void {
    for (const [stream, version] of Object.entries(versions)) {
      const entry = this.streams.get(stream);
      if (entry && entry.version !== version) this.refresh(stream);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.statusTimer);
    await Promise.all([...this.streams.keys()].map((stream) => this.end(stream)));
  }

  private refresh(stream: string): void {
    const entry = this.streams.get(stream);
    if (!entry || entry.fetching) return;
    entry.fetching = true;
    this.options.client
      .config(stream)
      .then((config) => {
        if (this.streams.get(stream) !== entry) return;
        entry.version = config.version;
        entry.manager.setTargets(config.targets);
        const fallback = config.fallback;
        if (fallback && fallback.version !== entry.fallback?.version) this.prefetch(stream, fallback);
        entry.fallback = fallback;
      })
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error, stream }, 'could not load restream targets; retrying with the next heartbeat');
        entry.version = undefined;
      })
      .finally(() => {
        entry.fetching = false;
      });
  }

  private prefetch(stream: string, fallback: FallbackRef): void {
    this.options.fallbackCache?.file(stream, fallback).catch((error: unknown) => {
      // Tried again when the publisher leaves; until then nothing needs the file.
      this.options.logger.warn({ err: error, stream, version: fallback.version }, 'could not download the fallback video');
    });
  }

  private async end(stream: string): Promise<void> {
    const entry = this.streams.get(stream);
    if (!entry) return;
    this.streams.delete(stream);
    clearTimeout(entry.endTimer);
    await entry.manager.stop();
    await this.options.client.reportStatus(stream, entry.manager.statuses()).catch(() => undefined);
  }

  /**
   * A stream whose publisher is away is not in the heartbeat's publishes, so no version change
   * reaches it: its targets are read again on every tick, so changes still apply while its
   * pushes wait (or carry the fallback video).
   */
  private refreshStreamsWithoutPublisher(): void {
    for (const [stream, entry] of this.streams) {
      if (entry.endTimer) this.refresh(stream);
    }
  }

  private reportAll(): void {
    for (const [stream, entry] of this.streams) {
      if (entry.manager.statuses().length > 0) entry.statusDirty = true;
      this.report(stream);
    }
  }

  private report(stream: string): void {
    const entry = this.streams.get(stream);
    if (!entry?.statusDirty) return;
    entry.statusDirty = false;
    this.options.client.reportStatus(stream, entry.manager.statuses()).catch((error: unknown) => {
      entry.statusDirty = true;
      this.options.logger.debug({ err: error, stream }, 'restream status not reported; retrying');
    });
  }
}

function switchesOf(entry: StreamRestream): SourceSwitches {
  return entry.manager;
}
