/**
 * The pushes of one live stream: one RestreamPush per target, kept in step with the target
 * list, fed every tag of the stream. It remembers the stream's sequence headers and metadata
 * so that a target added mid-stream starts as well as one that was there from the first tag.
 */
import type { Logger } from '../../../service-kit/src/logger.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { classifyTag } from './flv-tag-kind.js';
import type { PushCounters } from './push-counters.js';
import { copyBody } from './push-pipeline.js';
import { RestreamPush } from './restream-push.js';
import type { RestreamSettings } from './restream-settings.js';
import type { RestreamStatus } from './restream-status.js';
import { sameTarget, type RestreamTarget } from './restream-target.js';
import type { RtmpTlsOptions } from './rtmp-publish-session.js';

export interface RestreamManagerOptions {
  settings?: Partial<RestreamSettings>;
  tls?: RtmpTlsOptions;
  logger?: Logger;
  /** A target's state changed (or it skipped frames); report it to the API. */
  onStatus?: (status: RestreamStatus) => void;
  /** Every push's bytes, retries, failures and skips (metrics). */
  counters?: PushCounters;
}

type HeaderKind = 'metadata' | 'video-config' | 'audio-config';

export class RestreamManager {
  private readonly pushes = new Map<string, { target: RestreamTarget; push: RestreamPush }>();
  /** The latest sequence headers and metadata, as tags, in the order they came. */
  private readonly headers = new Map<HeaderKind, FlvTag>();
  private readonly stopping = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: RestreamManagerOptions = {}) {}

  /** Starts added targets, stops removed ones, restarts changed ones (URL, key, enabled, retry). */
  setTargets(targets: readonly RestreamTarget[]): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((target) => [target.id, target]));
    for (const [id, entry] of this.pushes) {
      const next = wanted.get(id);
      if (!next || !sameTarget(entry.target, next)) this.remove(id);
    }
    for (const target of wanted.values()) {
      if (!this.pushes.has(target.id)) this.add(target);
    }
  }

  /** A tag of the live stream. Copies its body once for all targets, only if one keeps it. */
  push(tag: FlvTag): void {
    const kind = classifyTag(tag.type, tag.body);
    let copy: Uint8Array | undefined;
    if (kind === 'metadata' || kind === 'video-config' || kind === 'audio-config') {
      copy = copyBody(tag.body);
      this.headers.set(kind, { type: tag.type, timestampMs: tag.timestampMs, body: copy });
    }
    const keep = (body: Uint8Array) => {
      if (body !== tag.body) return copyBody(body);
      copy ??= copyBody(tag.body);
      return copy;
    };
    for (const { push } of this.pushes.values()) push.accept(tag, keep);
  }

  /** The publisher left; connections stay open for its return (the lead decides for how long). */
  sourceEnded(): void {
    for (const { push } of this.pushes.values()) push.sourceEnded();
  }

  /**
   * The publisher is back, or a fallback took over: targets see its media continue after what
   * they already have. `newEncoding`: its sequence headers may differ and go to the targets on
   * the connections they have (a fallback video and the live stream never match).
   */
  sourceRestarted(newEncoding = false): void {
    for (const { push } of this.pushes.values()) push.sourceRestarted(newEncoding);
  }

  statuses(): RestreamStatus[] {
    return [...this.pushes.values()].map(({ push }) => push.status());
  }

  /** Unpublishes from every target. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.pushes.keys()]) this.remove(id, true);
    await Promise.all(this.stopping);
  }

  private add(target: RestreamTarget): void {
    const push = new RestreamPush({
      target,
      settings: this.options.settings,
      tls: this.options.tls,
      logger: this.options.logger,
      counters: this.options.counters,
      // A replaced push's last words (its `idle`) must not overwrite its successor's status.
      onStatus: (status) => {
        if (this.pushes.get(target.id)?.push === push) this.options.onStatus?.(status);
      },
    });
    this.pushes.set(target.id, { target, push });
    for (const header of this.headers.values()) push.accept(header, (body) => body);
    if (target.enabled) push.start();
    else this.options.onStatus?.(push.status());
  }

  /** `final`: the stream ends, so each target's closing `idle` is reported. */
  private remove(id: string, final = false): void {
    const entry = this.pushes.get(id);
    if (!entry) return;
    if (!final) this.pushes.delete(id);
    const stopped = entry.push.stop().finally(() => {
      this.stopping.delete(stopped);
      if (final) this.pushes.delete(id);
    });
    this.stopping.add(stopped);
  }
}
