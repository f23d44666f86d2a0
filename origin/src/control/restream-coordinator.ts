import type { Logger } from '../../../service-kit/src/logger.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { RestreamManager, type RestreamSettings } from '../restream/index.js';
import type { ApiRestreamClient } from './api-restream-client.js';

export interface RestreamCoordinatorOptions {
  client: Pick<ApiRestreamClient, 'config' | 'reportStatus'>;
  settings: RestreamSettings;
  /** How long target connections wait for a publisher that left to come back. */
  reconnectWindowMs: number;
  /** Status of live targets is re-sent this often (bytes and bitrate move continuously). */
  statusIntervalMs: number;
  logger: Logger;
}

interface StreamRestream {
  manager: RestreamManager;
  version: number | undefined;
  fetching: boolean;
  endTimer?: NodeJS.Timeout;
  statusDirty: boolean;
}

/**
 * Keeps each live stream's pushes in step with its targets in the API: fetched when the stream
 * goes live and again whenever the heartbeat says their version changed. Target connections
 * outlive a publisher's drop-out for `reconnectWindowMs`, so a returning publisher resumes the
 * pushes without the targets seeing a new publish.
 */
export class RestreamCoordinator {
  private readonly streams = new Map<string, StreamRestream>();
  private readonly statusTimer: NodeJS.Timeout;

  constructor(private readonly options: RestreamCoordinatorOptions) {
    this.statusTimer = setInterval(() => this.reportAll(), options.statusIntervalMs);
    this.statusTimer.unref();
  }

  /** A publish of `stream` started here: returns where its tags go. */
  publishStarted(stream: string): (tag: FlvTag) => void {
    let entry = this.streams.get(stream);
    if (entry) {
      clearTimeout(entry.endTimer);
      delete entry.endTimer;
      entry.manager.sourceRestarted();
    } else {
      const created: StreamRestream = {
        manager: new RestreamManager({
          settings: this.options.settings,
          logger: this.options.logger.child({ stream }),
          onStatus: () => {
            created.statusDirty = true;
            queueMicrotask(() => this.report(stream));
          },
        }),
        version: undefined,
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

  /** The publisher left: pushes wait for it for the reconnect window, then end. */
  publishEnded(stream: string): void {
    const entry = this.streams.get(stream);
    if (!entry) return;
    entry.manager.sourceEnded();
    clearTimeout(entry.endTimer);
    entry.endTimer = setTimeout(() => void this.end(stream), this.options.reconnectWindowMs);
    entry.endTimer.unref();
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
      })
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error, stream }, 'could not load restream targets; retrying with the next heartbeat');
        entry.version = undefined;
      })
      .finally(() => {
        entry.fetching = false;
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
