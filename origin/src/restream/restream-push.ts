/**
 * One target of one live stream: keeps an RTMP(S) publish to it open, copies the stream's tags
 * to it without transcoding, retries as the target's policy says and reports its status.
 * `push()` never waits for the network: a slow target only costs it skipped frames.
 */
import { AddressPolicy } from '../../../network-policy/src/address-policy.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import type { PushCounters } from './push-counters.js';
import { copyBody, PushPipeline, type KeepBody } from './push-pipeline.js';
import {
  maskSecret,
  publicFailureOf,
  RestreamError,
  TargetProtocolError,
  TargetRejectedError,
  TargetStalledError,
  TargetUnreachableError,
} from './restream-errors.js';
import { DEFAULT_RESTREAM_SETTINGS, type RestreamSettings } from './restream-settings.js';
import { BitrateMeter, type RestreamState, type RestreamStatus } from './restream-status.js';
import { retryDelayMs, shouldGiveUp, type RetryPolicy } from './retry-policy.js';
import { retryPolicyOf, targetLabel, type RestreamTarget } from './restream-target.js';
import { RtmpPublishSession, type RtmpTlsOptions } from './rtmp-publish-session.js';

export interface RestreamPushOptions {
  target: RestreamTarget;
  settings?: Partial<RestreamSettings>;
  /** Trust for rtmps:// targets; the default verifies against Node's CA list. */
  tls?: RtmpTlsOptions;
  /** Where the push may connect. Default: the system resolver, private addresses as `settings.allowPrivateTargets` says. */
  addressPolicy?: AddressPolicy;
  logger?: Logger;
  /** Every state change, and every keyframe skip. */
  onStatus?: (status: RestreamStatus) => void;
  /** Jitter source; tests pin it. */
  random?: () => number;
  /** Told of bytes sent, retries, failures and keyframe skips (metrics). */
  counters?: PushCounters;
}

const METER_INTERVAL_MS = 1000;

export class RestreamPush {
  private readonly settings: RestreamSettings;
  private readonly policy: RetryPolicy;
  private readonly pipeline: PushPipeline;
  private readonly addressPolicy: AddressPolicy;
  private readonly meter = new BitrateMeter();
  private readonly label: string;
  private readonly logger: Logger | undefined;
  private state: RestreamState;
  private since = new Date();
  private attempts = 0;
  private refusals = 0;
  private lastError: RestreamStatus['lastError'] = null;
  private nextRetryAt: Date | undefined;
  private session: RtmpPublishSession | undefined;
  private connectedAt = 0;
  private opening: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private meterTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  /** Bytes sent by the connections before the current one. */
  private bytesBefore = 0;
  /** Of bytesSent(), what `counters` was told already. */
  private bytesCounted = 0;
  private progress = { atMs: 0, bytes: 0 };
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: RestreamPushOptions) {
    const settings = { ...DEFAULT_RESTREAM_SETTINGS, ...options.settings };
    // Most of the backlog must stay in our queue, where it can be dropped; the socket's cannot.
    settings.sendBufferBytes = Math.min(settings.sendBufferBytes, Math.floor(settings.maxBacklogBytes / 2));
    this.settings = settings;
    this.policy = retryPolicyOf(options.target, settings);
    this.pipeline = new PushPipeline(this.settings);
    this.addressPolicy = options.addressPolicy ?? new AddressPolicy({ allowPrivate: settings.allowPrivateTargets });
    this.label = targetLabel(options.target);
    this.logger = options.logger?.child({ target: options.target.id, url: this.label });
    this.state = options.target.enabled ? 'idle' : 'disabled';
  }

  get targetId(): string {
    return this.options.target.id;
  }

  /** Starts connecting; a disabled target stays `disabled`. */
  start(): void {
    if (this.state !== 'idle' || this.stopping) return;
    this.meterTimer = setInterval(() => this.tick(), METER_INTERVAL_MS).unref();
    this.connect();
  }

  /** A tag of the live stream; its body is copied if kept. Synchronous, never blocks. */
  push(tag: FlvTag): void {
    this.accept(tag, copyBody);
  }

  /** As push(), with a body copy shared by the stream's pushes (see RestreamManager). */
  accept(tag: FlvTag, keep: KeepBody): void {
    if (this.stopping || this.state === 'failed' || this.state === 'disabled') return;
    const skips = this.pipeline.skippedKeyframes;
    this.pipeline.accept(tag, keep, this.session?.writableLength ?? 0);
    if (this.pipeline.codecChanged && this.session) {
      this.reconnect('the codec parameters changed');
      return;
    }
    if (this.pipeline.skippedKeyframes !== skips) {
      this.options.counters?.keyframesSkipped(this.pipeline.skippedKeyframes - skips);
      this.logger?.warn({ skippedKeyframes: this.pipeline.skippedKeyframes }, 'target too slow: backlog dropped, waiting for the next keyframe');
      this.emit();
    }
    if (this.session && this.pipeline.queuedFrames > 0) this.schedulePump();
  }

  /** The publisher left: the connection stays, the next source resumes at its first keyframe. */
  sourceEnded(): void {
    this.pipeline.sourceRestarted();
  }

  /**
   * The publisher is back, or a fallback took over: its timestamps continue after the last ones
   * the target saw. `newEncoding`: see PushPipeline.sourceRestarted.
   */
  sourceRestarted(newEncoding = false): void {
    this.pipeline.sourceRestarted(newEncoding);
  }

  status(): RestreamStatus {
    return {
      targetId: this.options.target.id,
      state: this.state,
      since: this.since.toISOString(),
      target: this.label,
      bytesSent: this.bytesSent(),
      bitrateBps: this.state === 'live' ? this.meter.bitrateBps() : 0,
      attempts: this.attempts,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt?.toISOString() ?? null,
      backlogBytes: this.pipeline.queuedBytes + (this.session?.writableLength ?? 0),
      droppedFrames: this.pipeline.droppedFrames,
      skippedKeyframes: this.pipeline.skippedKeyframes,
    };
  }

  /** Unpublishes and closes; the push ends `idle` (or stays `disabled`). */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearInterval(this.meterTimer);
    this.opening?.abort();
    const session = this.detach();
    if (session) await session.close();
    if (this.state !== 'disabled') this.setState('idle');
  }

  private connect(): void {
    if (this.stopping) return;
    this.attempts += 1;
    this.setState('connecting');
    const opening = new AbortController();
    this.opening = opening;
    RtmpPublishSession.open({
      url: this.options.target.url,
      streamKey: this.options.target.streamKey,
      timeoutMs: this.settings.timeoutMs,
      tls: this.options.tls,
      addressPolicy: this.addressPolicy,
      signal: opening.signal,
    }).then(
      (session) => {
        this.opening = undefined;
        if (this.stopping) void session.close();
        else this.opened(session);
      },
      (error: unknown) => {
        this.opening = undefined;
        if (!this.stopping) this.failed(asRestreamError(error));
      },
    );
  }

  private opened(session: RtmpPublishSession): void {
    this.session = session;
    this.connectedAt = Date.now();
    this.progress = { atMs: this.connectedAt, bytes: 0 };
    session.onDrain(() => this.pump());
    session.onClose((error) => this.lost(session, error));
    this.pipeline.connectionStarted();
    this.setState('live');
  }

  /** The connection ended without us asking. */
  private lost(session: RtmpPublishSession, error: RestreamError): void {
    if (session !== this.session) return;
    this.detach();
    const livedMs = Date.now() - this.connectedAt;
    if (livedMs >= this.settings.earlyCloseMs) {
      this.attempts = 0;
      this.refusals = 0;
    } else if (error instanceof TargetUnreachableError) {
      error = new TargetRejectedError(
        `${this.label}: the server closed the connection ${(livedMs / 1000).toFixed(1)} s after accepting the publish (wrong stream key?)`,
      );
    }
    this.failed(error);
  }

  private failed(error: RestreamError): void {
    // Messages are built without the key; masking again guards against a server echoing it.
    const reason = maskSecret(error.message, this.options.target.streamKey);
    this.lastError = { ...publicFailureOf(error), at: new Date().toISOString() };
    this.logger?.warn({ code: error.code, reason }, 'restream target failed');
    this.options.counters?.failed(error.code);
    if (error.disposition === 'refusal') this.refusals += 1;
    if (error.disposition === 'fatal' || (error.disposition === 'refusal' && shouldGiveUp(this.policy, this.refusals))) {
      clearInterval(this.meterTimer);
      this.setState('failed');
      return;
    }
    const delayMs = retryDelayMs(this.policy, Math.max(this.attempts, 1), this.options.random);
    this.nextRetryAt = new Date(Date.now() + delayMs);
    this.options.counters?.retryScheduled();
    this.setState('retrying');
    this.retryTimer = setTimeout(() => {
      this.nextRetryAt = undefined;
      this.connect();
    }, delayMs);
  }

  /** A clean new publish, e.g. for new sequence headers; not a failure. */
  private reconnect(reason: string): void {
    this.logger?.info({ reason }, 'reconnecting to the target');
    const session = this.detach();
    if (session) void session.close();
    this.attempts = 0;
    this.connect();
  }

  private detach(): RtmpPublishSession | undefined {
    const session = this.session;
    if (!session) return undefined;
    this.bytesBefore += session.bytesSent;
    this.session = undefined;
    this.countBytes();
    this.pipeline.connectionEnded();
    return session;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands queued frames to the socket while it holds less than the send buffer. */
  private pump(): void {
    const session = this.session;
    if (!session || session.destroyed) return;
    const limit = this.settings.sendBufferBytes;
    if (session.writableLength >= limit) return;
    session.cork();
    for (let frame = this.pipeline.shift(); frame; frame = session.writableLength < limit ? this.pipeline.shift() : undefined) {
      session.sendMedia(frame.type, frame.timestampMs, frame.body);
    }
    session.uncork();
  }

  /** Once a second: bitrate sample, and the stall check. */
  private tick(): void {
    const now = Date.now();
    this.meter.sample(now, this.bytesSent());
    this.countBytes();
    const session = this.session;
    if (!session) return;
    if (this.attempts > 0 && now - this.connectedAt >= this.settings.earlyCloseMs) {
      // The target took our publish and kept it: it works, whatever happens next.
      this.attempts = 0;
      this.refusals = 0;
    }
    const sent = session.bytesSent;
    if (session.writableLength === 0 || sent > this.progress.bytes) {
      this.progress = { atMs: now, bytes: sent };
    } else if (now - this.progress.atMs >= this.settings.stallTimeoutMs) {
      session.destroy(new TargetStalledError(`${this.label}: the target took no data for ${Math.round((now - this.progress.atMs) / 1000)} s`));
    }
  }

  private countBytes(): void {
    const sent = this.bytesSent();
    if (sent <= this.bytesCounted) return;
    this.options.counters?.bytesSent(sent - this.bytesCounted);
    this.bytesCounted = sent;
  }

  private bytesSent(): number {
    return this.bytesBefore + (this.session?.bytesSent ?? 0);
  }

  private setState(state: RestreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date();
    if (state !== 'retrying') this.nextRetryAt = undefined;
    if (state === 'live') this.meter.reset();
    this.logger?.info({ state }, 'restream target state');
    this.emit();
  }

  private emit(): void {
    this.options.onStatus?.(this.status());
  }
}

function asRestreamError(error: unknown): RestreamError {
  if (error instanceof RestreamError) return error;
  return new TargetProtocolError(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
}
