import type { Logger } from '../../../service-kit/src/logger.js';
import { AbrStream, type AbrStatus } from '../abr/abr-stream.js';
import type { AbrSettings } from '../abr/abr-settings.js';
import { SOURCE_PLAYLIST_FILE_NAME } from '../hls/hls-names.js';
import { FallbackLoop, FallbackPlayer } from '../fallback/index.js';
import type { HlsDirectoryWriter } from '../hls/hls-directory-writer.js';
import type { FlvTag, IncomingPublish } from '../ingest/flv-tag-source.js';
import type { PublishGrant } from '../ingest/publish-authorizer.js';
import type { PublishTarget } from '../ingest/publish-gate.js';
import type { Recorder } from '../recording/recorder.js';
import type { PublishRefusalCounter } from '../ingest/publish-refusal.js';
import { scheduleTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import type { LowLatencyStreams } from './low-latency-streams.js';
import type { SegmentSettings } from './segment-settings.js';
import { StreamPackager, type SegmentDelaySink, type SourceMedia } from './stream-packager.js';

export interface LiveStreamRegistryOptions {
  hls: HlsDirectoryWriter;
  /** The LL-HLS outputs, when HLS_LOW_LATENCY is on. */
  lowLatency?: LowLatencyStreams;
  segments: SegmentSettings;
  logger: Logger;
  /** Told how long each segment took from its last frame to its playlist on disk. */
  delays: SegmentDelaySink;
  /** Counts publishes cut because their media cannot be packaged. */
  refusals?: PublishRefusalCounter;
  /** A publish ended (left, cut or refused media); the API releases its lease. */
  onPublishEnded?: (publish: LivePublishInfo) => void;
  /** Records publish sessions whose grant asks for it (RECORDINGS_PATH). */
  recorder?: Pick<Recorder, 'start' | 'endForGood'>;
  /** Copies live streams to their restream targets. */
  restream?: {
    publishStarted(stream: string): (tag: FlvTag) => void;
    publishEnded(stream: string): void;
    /** Where the fallback's tags go; undefined when the stream's pushes have ended. */
    fallbackStarted(stream: string): ((tag: FlvTag) => void) | undefined;
  };
  /** ABR ladders for streams whose grant asks for one, at most `settings.maxStreams` at once. */
  abr?: { settings: AbrSettings };
  /** Fallback videos, played to viewers and targets while a stream's publisher is away. */
  fallback?: {
    /** The stream's fallback video as FLV tags; undefined when it has none. */
    tags(stream: string): Promise<readonly FlvTag[] | undefined>;
    /** How long it plays for a publisher that does not come back; then the stream ends. */
    windowMs: number;
    /** Runs the end of the window. Default: Node's timers. */
    schedule?: ScheduleTimer;
  };
}

/** What the API is told about each live publish in the origin's heartbeat. */
export interface LivePublishInfo {
  sessionId: string;
  stream: string;
  keyGeneration: number;
  /** Media bytes received since the publish started. */
  bytesIn: number;
  /** Its tracks and frame count, as its packager reads them. */
  media: SourceMedia;
  /** Its ABR ladder's state; absent when ABR was not asked for. */
  abr?: PublishAbrState;
}

/** ABR as asked for by the grant: running (with its status), or refused for the origin's limit. */
export type PublishAbrState = AbrStatus | { state: 'over-limit'; renditions: []; restarts: 0 };

interface LivePublish {
  publish: IncomingPublish;
  grant: PublishGrant;
  bytesIn: number;
}

/** A fallback standing in for a publisher that left, from the moment it left. */
interface FallbackRun {
  /** Cancels the end of the window (when the stream ends unless a publisher came back). */
  cancelWindow: CancelTimer;
  /** Once the file is loaded. */
  player?: FallbackPlayer;
  stopped: boolean;
}

/** One stream name on this origin: its HLS output and what feeds it (a publisher or its fallback). */
interface LiveStream {
  name: string;
  logger: Logger;
  packager: StreamPackager;
  /** Its ABR ladder, decided when the stream starts on this origin. */
  abr?: AbrStream;
  /** ABR was asked for but ABR_MAX_STREAMS were already transcoding. */
  abrOverLimit: boolean;
  publish?: LivePublish;
  fallback?: FallbackRun;
  /** The HLS folder cannot be written: nothing more is fed to it. */
  broken: boolean;
  ended: boolean;
}

/**
 * The streams live on this origin: one publisher per public stream name. When the publisher of
 * a stream with a fallback video leaves, the fallback plays in its place (HLS and restream
 * targets alike) until a publisher comes back or the window ends.
 */
export class LiveStreamRegistry implements PublishTarget {
  private readonly streams = new Map<string, LiveStream>();
  private readonly ending = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly options: LiveStreamRegistryOptions) {}

  /** Streams with a publisher. */
  get size(): number {
    let count = 0;
    for (const stream of this.streams.values()) if (stream.publish) count += 1;
    return count;
  }

  /** Streams whose fallback video stands in for a publisher that left. */
  get fallbacks(): number {
    let count = 0;
    for (const stream of this.streams.values()) if (stream.fallback) count += 1;
    return count;
  }

  publishes(): LivePublishInfo[] {
    const infos: LivePublishInfo[] = [];
    for (const stream of this.streams.values()) if (stream.publish) infos.push(info(stream, stream.publish));
    return infos;
  }

  /** Cuts the given publish sessions (the API revoked their key or their stream). */
  disconnect(sessionIds: Iterable<string>): void {
    const wanted = new Set(sessionIds);
    for (const { name, publish } of this.streams.values()) {
      if (!publish || !wanted.has(publish.publish.id)) continue;
      this.options.logger.warn({ stream: name, session: publish.publish.id }, 'publish revoked by the API: disconnected');
      publish.publish.disconnect();
    }
  }

  /** Streams whose fallback video stands in for a publisher that left. */
  waitingStreams(): string[] {
    const names: string[] = [];
    for (const stream of this.streams.values()) if (stream.fallback) names.push(stream.name);
    return names;
  }

  /**
   * The API deleted these streams: each ends for good now, its publisher cut and its fallback
   * stopped, with no fallback and no window; its playlist gets ENDLIST.
   */
  endForGood(names: Iterable<string>): void {
    for (const name of names) {
      const stream = this.streams.get(name);
      if (!stream) continue;
      stream.logger.warn('stream deleted by the API: ended for good');
      const publish = stream.publish;
      if (publish) {
        publish.publish.disconnect();
        // Not waiting for the socket to close: the late end() is a no-op.
        this.publishEnded(stream, publish, true);
      } else {
        this.endFallback(stream);
        if (this.options.recorder) this.track(this.options.recorder.endForGood(name));
      }
    }
  }

  /**
   * The publisher of these streams came back on another origin: each one that still waits for it
   * here stops its fallback, and its playlist is left as it is, without ENDLIST (see
   * StreamPackager.handOver). A stream whose publisher is live here is not touched: the API cuts
   * a publisher whose lease it lost through `disconnect`.
   */
  handOver(names: Iterable<string>): void {
    for (const name of names) {
      const stream = this.streams.get(name);
      if (!stream || stream.publish) continue;
      stream.logger.info('the publisher came back on another origin: the stream is handed over');
      this.stopFallback(stream);
      this.finish(stream, () => stream.packager.handOver());
    }
  }

  open(grant: PublishGrant, publish: IncomingPublish) {
    const { streamName } = grant;
    if (this.closing) return { refused: 'the origin is shutting down', reason: 'shutting_down' as const };
    const known = this.streams.get(streamName);
    if (known?.publish) return { refused: `stream "${streamName}" is already live on this origin`, reason: 'already_live' as const };
    let stream: LiveStream;
    if (known) {
      stream = known;
      stream.logger = this.options.logger.child({ stream: streamName, session: publish.id });
      this.stopFallback(stream);
      stream.packager.switchSource();
      stream.abr?.sourceChanged();
      stream.logger.info('publisher back: the live stream replaces the fallback video');
    } else {
      stream = this.createStream(streamName, publish.id, grant);
    }
    const entry: LivePublish = { publish, grant, bytesIn: 0 };
    stream.publish = entry;
    const recording = grant.recording && this.options.recorder?.start(streamName, grant.recording);
    if (recording) stream.packager.startRecording(recording);
    const restream = this.options.restream?.publishStarted(streamName);
    return {
      sink: (tag: FlvTag) => {
        // Whatever a publish sends once it is over (cut by a shutdown) belongs to nobody.
        if (stream.publish !== entry) return;
        entry.bytesIn += tag.body.byteLength;
        stream.packager.push(tag);
        restream?.(tag);
        stream.abr?.sourceTag(tag);
      },
      end: () => this.publishEnded(stream, entry),
    };
  }

  /** Disconnects every publisher, stops every fallback and waits until their playlists are ended. */
  async closeAll(): Promise<void> {
    this.closing = true;
    for (const stream of this.streams.values()) {
      const publish = stream.publish;
      if (publish) {
        publish.publish.disconnect();
        // Not waiting for the socket to close: the stream is ended now, the late end() is a no-op.
        this.publishEnded(stream, publish);
      } else {
        this.endFallback(stream);
      }
    }
    await Promise.all(this.ending);
  }

  /** Streams whose ABR ladder runs here, counted against ABR_MAX_STREAMS. */
  get abrStreams(): number {
    let count = 0;
    for (const stream of this.streams.values()) if (stream.abr) count += 1;
    return count;
  }

  private createStream(name: string, sessionId: string, grant: PublishGrant): LiveStream {
    const abrSettings = grant.abr?.enabled ? this.options.abr?.settings : undefined;
    const abrOverLimit = abrSettings !== undefined && this.abrStreams >= abrSettings.maxStreams;
    const withAbr = abrSettings !== undefined && !abrOverLimit;
    const writer = this.options.hls.startStream(name, withAbr ? { playlistFileName: SOURCE_PLAYLIST_FILE_NAME } : {});
    const lowLatencyStreams = this.options.lowLatency;
    const lowLatency = lowLatencyStreams?.start(name);
    // A stream of the same name that had a ladder before: its LL variants went with it.
    lowLatency?.attachVariants(undefined);
    const abr =
      withAbr && grant.abr
        ? new AbrStream({
            streamName: name,
            ladder: grant.abr.ladder,
            settings: abrSettings,
            segments: this.options.segments,
            hls: this.options.hls,
            sourceWriter: writer,
            ...(lowLatency && lowLatencyStreams ? { lowLatency: { source: lowLatency, create: (options) => lowLatencyStreams.createUnlisted(name, options) } } : {}),
            logger: this.options.logger.child({ stream: name, abr: true }),
          })
        : undefined;
    if (abrOverLimit) this.options.logger.warn({ stream: name, maxStreams: abrSettings.maxStreams }, 'ABR_MAX_STREAMS reached: the stream runs without ABR');
    const stream: LiveStream = {
      abr,
      abrOverLimit,
      name,
      logger: this.options.logger.child({ stream: name, session: sessionId }),
      packager: new StreamPackager({
        streamName: name,
        segments: this.options.segments,
        writer,
        logger: this.options.logger.child({ stream: name }),
        delays: this.options.delays,
        lowLatency,
        ...(abr ? { segmentObserver: abr } : {}),
        onRejected: (reason) => this.sourceRejected(stream, reason),
      }),
      broken: false,
      ended: false,
    };
    writer.catch((error: unknown) => {
      stream.logger.error({ err: error }, 'cannot write HLS for this stream: its source is stopped');
      stream.broken = true;
      stream.publish?.publish.disconnect();
      if (stream.fallback) {
        this.endFallback(stream);
      }
    });
    this.streams.set(name, stream);
    return stream;
  }

  private sourceRejected(stream: LiveStream, reason: string): void {
    if (stream.publish) {
      stream.logger.warn({ reason }, 'publish refused: media cannot be packaged');
      this.options.refusals?.publishRefused('bad_media');
      stream.publish.publish.disconnect();
    } else if (stream.fallback) {
      stream.logger.warn({ reason }, 'the fallback video cannot be packaged: the stream ends');
      this.endFallback(stream);
    }
  }

  /** `final`: the stream ends with its publisher, no fallback takes over. */
  private publishEnded(stream: LiveStream, entry: LivePublish, final = false): void {
    if (stream.publish !== entry) return;
    delete stream.publish;
    this.options.restream?.publishEnded(stream.name);
    this.options.onPublishEnded?.(info(stream, entry));
    if (final || this.closing || stream.broken || !this.options.fallback) this.endStream(stream);
    else this.startFallback(stream, this.options.fallback);
    // After the end or the switch above: the session's last segment is cut and goes to its recording.
    this.track(stream.packager.stopRecording(final));
  }

  /**
   * The publisher left: the live segment in progress is written at once, and the fallback plays
   * as soon as it is loaded; a stream without one ends. The window runs from now.
   */
  private startFallback(stream: LiveStream, fallback: NonNullable<LiveStreamRegistryOptions['fallback']>): void {
    const schedule = fallback.schedule ?? scheduleTimer;
    const run: FallbackRun = {
      cancelWindow: schedule(fallback.windowMs, () => {
        if (stream.fallback !== run) return;
        stream.logger.info('the publisher did not come back: the stream ends');
        this.endFallback(stream);
      }),
      stopped: false,
    };
    stream.fallback = run;
    stream.packager.switchSource();
    stream.abr?.sourceChanged();
    const leftAt = performance.now();
    fallback
      .tags(stream.name)
      .then((tags) => {
        if (run.stopped) return;
        if (!tags) {
          this.endFallback(stream);
          return;
        }
        const restream = this.options.restream?.fallbackStarted(stream.name);
        run.player = new FallbackPlayer({
          loop: new FallbackLoop(tags),
          sink: (tag) => {
            stream.packager.push(tag);
            restream?.(tag);
            stream.abr?.sourceTag(tag);
          },
          onError: (error) => {
            stream.logger.error({ err: error }, 'the fallback video failed: the stream ends');
            this.endFallback(stream);
          },
        });
        run.player.start();
        stream.logger.info(
          { loadMs: Math.round(performance.now() - leftAt), windowMs: fallback.windowMs },
          'publisher away: playing the fallback video',
        );
      })
      .catch((error: unknown) => {
        if (run.stopped) return;
        stream.logger.warn({ err: error }, 'the fallback video cannot be played: the stream ends');
        this.endFallback(stream);
      });
  }

  private stopFallback(stream: LiveStream): void {
    const run = stream.fallback;
    if (!run) return;
    run.stopped = true;
    run.cancelWindow();
    run.player?.stop();
    delete stream.fallback;
  }

  /** The fallback stops with no publisher to take over: the stream ends. */
  private endFallback(stream: LiveStream): void {
    this.stopFallback(stream);
    this.endStream(stream);
  }

  /** Nothing feeds the stream any more: its playlist ends, and a new publish starts it afresh. */
  private endStream(stream: LiveStream): void {
    this.finish(stream, () => stream.packager.end());
  }

  /** The stream is no longer this registry's: `close` finishes its playlist, awaited by closeAll. */
  private finish(stream: LiveStream, close: () => Promise<void>): void {
    if (stream.ended) return;
    stream.ended = true;
    if (this.streams.get(stream.name) === stream) this.streams.delete(stream.name);
    const abr = stream.abr;
    // The source's last segment first (its number ends the renditions' too), then the ladder.
    this.track(close().then(() => abr?.end()));
    this.options.lowLatency?.finished(stream.name);
  }

  /** closeAll waits for it. */
  private track(work: Promise<void>): void {
    this.ending.add(work);
    void work.finally(() => this.ending.delete(work));
  }
}

function info(stream: LiveStream, entry: LivePublish): LivePublishInfo {
  return {
    sessionId: entry.publish.id,
    stream: entry.grant.streamName,
    keyGeneration: entry.grant.keyGeneration,
    bytesIn: entry.bytesIn,
    media: stream.packager.media,
    ...(stream.abr ? { abr: stream.abr.status } : stream.abrOverLimit ? { abr: { state: 'over-limit', renditions: [], restarts: 0 } } : {}),
  };
}
