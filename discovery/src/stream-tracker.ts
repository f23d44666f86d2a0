import type { Logger } from '../../service-kit/src/logger.js';
import type { ManifestListener } from './manifest-watcher.js';
import type { PlaylistState } from './playlist-state.js';
import type { ReportOutbox } from './report-outbox.js';
import { StreamLifecycle, type Decision, type LifecycleTiming } from './stream-lifecycle.js';

export interface StreamTrackerOptions {
  manifestName: string;
  timing: LifecycleTiming;
  outbox: ReportOutbox;
  logger: Logger;
}

interface TrackedStream {
  lifecycle: StreamLifecycle;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps one lifecycle per stream folder, wakes each live stream at its next deadline (heartbeat
 * or staleness) and hands the resulting registers and withdraws to the outbox.
 *
 * Heartbeat: every live stream is re-registered every `heartbeatMs` on its own timer, whether or
 * not the API seems up and whatever the manifest does (staleness withdraws it first if the
 * manifest stops). That keeps the API's TTL from expiring it and also repairs an API or Redis
 * restart that lost the keys, within one heartbeat.
 */
export class StreamTracker implements ManifestListener {
  readonly #streams = new Map<string, TrackedStream>();
  readonly #manifestName: string;
  readonly #timing: LifecycleTiming;
  readonly #outbox: ReportOutbox;
  readonly #logger: Logger;
  #stopped = false;

  constructor(options: StreamTrackerOptions) {
    this.#manifestName = options.manifestName;
    this.#timing = options.timing;
    this.#outbox = options.outbox;
    this.#logger = options.logger;
  }

  /** Names of the streams currently registered (or being registered) with the API. */
  liveStreams(): string[] {
    return [...this.#streams].filter(([, stream]) => stream.lifecycle.phase === 'live').map(([name]) => name);
  }

  manifestWritten(name: string, state: PlaylistState, modifiedAt: number): void {
    if (this.#stopped) return;
    let stream = this.#streams.get(name);
    if (!stream) {
      stream = { lifecycle: new StreamLifecycle(this.#timing), timer: undefined };
      this.#streams.set(name, stream);
    }
    const decision = stream.lifecycle.manifestWritten(state, modifiedAt, Date.now());
    if (decision.action === 'none' && stream.lifecycle.phase !== 'live') {
      this.#logger.debug({ stream: name, state, phase: stream.lifecycle.phase }, 'manifest not reported');
    }
    this.#act(name, decision, modifiedAt);
    this.#schedule(name, stream);
  }

  streamRemoved(name: string): void {
    const stream = this.#streams.get(name);
    if (!stream || this.#stopped) return;
    clearTimeout(stream.timer);
    this.#streams.delete(name);
    this.#act(name, stream.lifecycle.removed());
  }

  /** Stops the timers and withdraws every live stream (see `ReportOutbox.shutdown`). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const live = this.liveStreams();
    for (const stream of this.#streams.values()) clearTimeout(stream.timer);
    this.#streams.clear();
    await this.#outbox.shutdown(live);
  }

  #schedule(name: string, stream: TrackedStream): void {
    clearTimeout(stream.timer);
    stream.timer = undefined;
    const deadline = stream.lifecycle.nextDeadline();
    if (deadline === undefined) return;
    stream.timer = setTimeout(() => {
      stream.timer = undefined;
      this.#act(name, stream.lifecycle.due(Date.now()));
      this.#schedule(name, stream);
    }, Math.max(0, deadline - Date.now()));
  }

  /** `writtenAt`: the mtime of the manifest write that led to `decision`, if one did. */
  #act(name: string, decision: Decision, writtenAt?: number): void {
    switch (decision.action) {
      case 'none':
        return;
      case 'register':
        this.#logger.info({ stream: name }, 'stream live: registering');
        this.#outbox.submit({ kind: 'register', report: { name, manifest: this.#manifestName, writtenAt } });
        return;
      case 'refresh':
        this.#logger.debug({ stream: name }, 'heartbeat: refreshing');
        this.#outbox.submit({ kind: 'register', report: { name, manifest: this.#manifestName } });
        return;
      case 'end':
        this.#logger.info({ stream: name, reason: decision.reason, graceSeconds: decision.graceSeconds }, 'stream over: reporting its end');
        this.#outbox.submit({
          kind: 'end',
          report: { name, manifest: this.#manifestName, graceSeconds: decision.graceSeconds, writtenAt },
        });
        return;
      case 'withdraw':
        this.#logger.info({ stream: name }, 'stream removed: withdrawing');
        this.#outbox.submit({ kind: 'withdraw', name });
        return;
    }
  }
}
