/**
 * ABR for one live stream: the source's FLV tags go to one ffmpeg (LadderProcess), whose
 * renditions our own packager cuts where the source's segments start (RenditionPackager), and
 * `index.m3u8` becomes the multivariant playlist over the source (`source.m3u8`) and the
 * renditions. The source never waits for any of it: tags are copied to ffmpeg's stdin, bounded,
 * and a ladder that dies or falls behind is killed and restarted with backoff while the source
 * plays on.
 */
import { join } from 'node:path';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { AbrRung, AbrState as ContractAbrState } from '../../../internal-api/src/abr-contract.js';
import { writeFileAtomic } from '../hls/atomic-file.js';
import type { HlsDirectoryWriter } from '../hls/hls-directory-writer.js';
import { PLAYLIST_FILE_NAME, SOURCE_PLAYLIST_FILE_NAME } from '../hls/hls-names.js';
import type { HlsStreamWriter } from '../hls/hls-stream-writer.js';
import { parseFlvTag, type FlvTag } from '../media/flv-tag.js';
import type { TrackInfo } from '../media/index.js';
import { videoConfigFrom } from '../media/stream-config.js';
import type { VideoFrameCount } from '../media/video-frame-counter.js';
import type { LowLatencyStream } from '../packaging/low-latency-stream.js';
import type { SegmentSettings } from '../packaging/segment-settings.js';
import { scheduleTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { renditionsFor } from './abr-ladder.js';
import type { AbrSettings } from './abr-settings.js';
import { encodeFlvTag, flvHeader } from './flv-stream-writer.js';
import { LadderProcess, type LadderStop } from './ladder-process.js';
import { LowLatencyBoundaries } from './low-latency-boundaries.js';
import { LowLatencyLadder } from './low-latency-ladder.js';
import type { CreateLowLatencyStream } from './rendition-low-latency.js';
import { renderMasterPlaylist } from './master-playlist.js';
import { RenditionPackager } from './rendition-packager.js';
import { SourceBoundaries } from './source-boundaries.js';
import { VariantMeter } from './variant-meter.js';

/** A ladder that ran this long before failing restarts after the shortest wait again. */
const HEALTHY_RUN_MS = 60_000;
const FIRST_RESTART_DELAY_MS = 1000;

/** See internal-api/src/abr-contract.ts; `over-limit` is the registry's, not a ladder's. */
export type AbrState = Exclude<ContractAbrState, 'over-limit'>;

export interface AbrStatus {
  state: AbrState;
  renditions: string[];
  restarts: number;
  /** Why the ladder last stopped, for the log and lifecycle. */
  lastStop?: string;
}

/** What the source's packager tells about its segments (StreamPackager's segment observer). */
export interface SourceSegment {
  firstPtsMs: number;
  /** Undefined when the segment could not be written. */
  mediaSequence: number | undefined;
  programDateTime: Date;
  bytes: number;
  durationSeconds: number;
  tracks: TrackInfo | undefined;
  frames: VideoFrameCount;
}

export interface AbrStreamOptions {
  streamName: string;
  ladder: readonly AbrRung[];
  settings: AbrSettings;
  segments: SegmentSettings;
  hls: Pick<HlsDirectoryWriter, 'startRendition'>;
  /** The source's writer: the multivariant playlist goes into its folder. */
  sourceWriter: Promise<HlsStreamWriter>;
  /** The source's LL-HLS output (HLS_LOW_LATENCY): the renditions get one each, cut where it cuts. */
  lowLatency?: { source: LowLatencyStream; create: CreateLowLatencyStream };
  logger: Logger;
  schedule?: ScheduleTimer;
  now?: () => number;
}

export class AbrStream {
  private readonly boundaries = new SourceBoundaries();
  private readonly lowLatencyBoundaries = new LowLatencyBoundaries();
  private lowLatencyLadder: LowLatencyLadder | undefined;
  private readonly sourceMeter = new VariantMeter(SOURCE_PLAYLIST_FILE_NAME);
  private readonly schedule: ScheduleTimer;
  private readonly now: () => number;
  private packagers: RenditionPackager[] | undefined;
  private process: LadderProcess | undefined;
  private feedStartMs: number | undefined;
  private videoConfig: FlvTag | undefined;
  private audioConfig: FlvTag | undefined;
  private runStartedAt = 0;
  private failures = 0;
  private restarts = 0;
  private lastStop: string | undefined;
  private cancelRestart: CancelTimer | undefined;
  private ended = false;
  private firstSourceSegmentAt: number | undefined;
  private masterText = '';
  private masterWrites: Promise<void> = Promise.resolve();

  constructor(private readonly options: AbrStreamOptions) {
    this.schedule = options.schedule ?? scheduleTimer;
    this.now = options.now ?? (() => performance.now());
    const source = options.lowLatency?.source;
    if (source) source.onSegmentStarted = (ptsMs, number) => this.lowLatencyBoundaries.started(ptsMs, number);
  }

  get status(): AbrStatus {
    return {
      state: this.state(),
      renditions: (this.packagers ?? []).map((packager) => packager.rendition.name),
      restarts: this.restarts,
      ...(this.lastStop ? { lastStop: this.lastStop } : {}),
    };
  }

  /** The ffmpeg process's id while one runs (tests kill it). */
  get ffmpegPid(): number | undefined {
    return this.process?.pid;
  }

  /** The source's packager opened a segment with the keyframe at `ptsMs` (before that tag reaches sourceTag). */
  segmentStarted(ptsMs: number): void {
    this.boundaries.started(ptsMs);
  }

  segmentWritten(segment: SourceSegment): void {
    const { mediaSequence, programDateTime } = segment;
    this.boundaries.written(segment.firstPtsMs, mediaSequence === undefined ? undefined : { mediaSequence, programDateTime });
    if (mediaSequence === undefined) return;
    this.sourceMeter.segment(segment.bytes, segment.durationSeconds, segment.tracks, segment.frames);
    this.firstSourceSegmentAt ??= this.now();
    this.updateMaster();
  }

  /** Every tag of the source, after its packager took it. Never blocks: ffmpeg gets a copy, bounded. */
  sourceTag(tag: FlvTag): void {
    if (this.ended || (tag.type !== 8 && tag.type !== 9)) return;
    const frame = parseFlvTag(tag);
    if (frame.kind === 'avc-config') {
      this.videoConfig = copyTag(tag);
      if (!this.packagers) this.decideLadder(frame.data);
    } else if (frame.kind === 'aac-config') {
      this.audioConfig = copyTag(tag);
    }
    const process = this.process;
    if (!process) return;
    if (this.feedStartMs === undefined) {
      // ffmpeg's first frame must be a keyframe the source's segments start with, so the
      // renditions' first segment begins where one of the source's does.
      if (frame.kind !== 'avc-frame' || !frame.keyframe || !this.videoConfig || !this.boundaries.find(frame.ptsMs)) return;
      this.feedStartMs = tag.timestampMs;
      process.write(flvHeader(this.audioConfig !== undefined, true));
      for (const config of [this.videoConfig, this.audioConfig]) {
        if (config) process.write(encodeFlvTag({ ...config, timestampMs: tag.timestampMs }));
      }
    }
    process.write(encodeFlvTag(tag));
    this.checkLag(process, tag.timestampMs);
  }

  /**
   * Another source takes over (the fallback video, the publisher back): the ladder starts again
   * on it at its first segment; the renditions go on after a discontinuity.
   */
  sourceChanged(): void {
    if (this.ended) return;
    this.boundaries.clear();
    this.lowLatencyBoundaries.clear();
    this.videoConfig = undefined;
    this.audioConfig = undefined;
    if (!this.process) return;
    this.process.kill({ kind: 'stopped' });
    this.process = undefined;
    for (const packager of this.packagers ?? []) packager.restart();
    this.startProcess();
  }

  /** The stream ended: ffmpeg is stopped, the renditions' playlists get ENDLIST. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.cancelRestart?.();
    this.process?.kill({ kind: 'stopped' });
    this.process = undefined;
    this.boundaries.clear();
    this.lowLatencyBoundaries.clear();
    const source = this.options.lowLatency?.source;
    if (source?.onSegmentStarted) source.onSegmentStarted = undefined;
    this.lowLatencyLadder?.end();
    await Promise.all((this.packagers ?? []).map((packager) => packager.end()));
    await this.masterWrites;
  }

  private state(): AbrState {
    if (this.ended) return 'ended';
    if (!this.packagers) return 'waiting-for-source';
    if (this.packagers.length === 0) return 'source-only';
    if (this.cancelRestart) return 'restarting';
    return this.packagers.every((packager) => packager.meter.measured) ? 'running' : 'starting';
  }

  private decideLadder(videoConfig: Uint8Array): void {
    const { width, height } = videoConfigFrom(videoConfig).info;
    const renditions = width && height ? renditionsFor(this.options.ladder, { width, height }) : [];
    const { lowLatency } = this.options;
    const ladder = lowLatency && renditions.length > 0 ? new LowLatencyLadder(renditions.map((rendition) => rendition.name), this.lowLatencyBoundaries, (options) =>
            // Dated as the source dated the same segment, so players line the variants up by wall clock.
            lowLatency.create({ ...options, segmentDates: (number) => lowLatency.source.programDateTimeOf(number) }),
          ) : undefined;
    this.lowLatencyLadder = ladder;
    if (ladder) lowLatency?.source.attachVariants(ladder);
    this.packagers = renditions.map(
      (rendition) =>
        new RenditionPackager({
          rendition,
          segments: this.options.segments,
          boundaries: this.boundaries,
          startWriter: (first) => this.options.hls.startRendition(this.options.streamName, rendition.name, first),
          onSegmentWritten: () => this.updateMaster(),
          ...(ladder ? { lowLatency: ladder.consumer(rendition.name) } : {}),
          logger: this.options.logger.child({ rendition: rendition.name }),
        }),
    );
    this.options.logger.info({ renditions: renditions.map((rendition) => rendition.name), source: { width, height } }, 'ABR ladder decided');
    if (this.packagers.length > 0) this.startProcess();
  }

  private startProcess(): void {
    const packagers = this.packagers ?? [];
    const { settings } = this.options;
    this.feedStartMs = undefined;
    this.runStartedAt = this.now();
    const process: LadderProcess = new LadderProcess({
      ffmpegPath: settings.ffmpegPath,
      renditions: packagers.map((packager) => packager.rendition),
      encoding: { preset: settings.preset },
      maxBacklogBytes: settings.maxBacklogBytes,
      onTags: (index, tags) => packagers[index]?.push(tags),
      onStop: (stop) => this.processStopped(process, stop),
    });
    this.process = process;
  }

  private checkLag(process: LadderProcess, sourceMs: number): void {
    let slowest = Number.POSITIVE_INFINITY;
    for (const packager of this.packagers ?? []) slowest = Math.min(slowest, packager.lastTimestampMs ?? this.feedStartMs ?? sourceMs);
    const lagMs = sourceMs - slowest;
    if (lagMs > this.options.settings.maxLagMs) process.kill({ kind: 'lagging', lagMs });
  }

  private processStopped(process: LadderProcess, stop: LadderStop): void {
    if (this.process !== process || this.ended || stop.kind === 'stopped') return;
    this.process = undefined;
    this.lastStop = describeStop(stop);
    for (const packager of this.packagers ?? []) packager.restart();
    this.failures = this.now() - this.runStartedAt > HEALTHY_RUN_MS ? 1 : this.failures + 1;
    const delayMs = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (this.failures - 1), this.options.settings.restartMaxMs);
    this.options.logger.warn({ stop: this.lastStop, restartInMs: delayMs }, 'the ABR ladder stopped: the source plays on, the ladder restarts');
    const cancel = this.schedule(delayMs, () => {
      if (this.cancelRestart !== cancel) return;
      this.cancelRestart = undefined;
      if (this.ended) return;
      this.restarts += 1;
      this.startProcess();
    });
    this.cancelRestart = cancel;
  }

  /**
   * Rewrites `index.m3u8` when what it says changes. The first one waits until every rendition
   * has a segment (players read it once) or the startup grace is over, then lists what there is.
   */
  private updateMaster(): void {
    if (this.ended || this.firstSourceSegmentAt === undefined) return;
    const packagers = this.packagers ?? [];
    const ready = packagers.every((packager) => packager.meter.measured);
    const graceMs = this.options.segments.targetDurationSeconds * 4000 + 5000;
    if (this.masterText === '' && !ready && this.now() - this.firstSourceSegmentAt < graceMs) return;
    const variants = [this.sourceMeter, ...packagers.map((packager) => packager.meter)].filter((meter) => meter.measured);
    this.lowLatencyLadder?.update(variants.map((meter) => meter.variant()));
    const text = renderMasterPlaylist(variants.map((meter) => meter.variant()));
    if (text === this.masterText) return;
    this.masterText = text;
    this.masterWrites = this.masterWrites
      .then(async () => {
        const writer = await this.options.sourceWriter;
        await writeFileAtomic(join(writer.folder, PLAYLIST_FILE_NAME), text);
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'writing the multivariant playlist failed'));
  }
}

function copyTag(tag: FlvTag): FlvTag {
  return { type: tag.type, timestampMs: tag.timestampMs, body: tag.body.slice() };
}

function describeStop(stop: LadderStop): string {
  switch (stop.kind) {
    case 'exited':
      return `ffmpeg exited (${stop.signal ?? `code ${stop.code}`})${stop.stderr ? `: ${stop.stderr.trim().split('\n').at(-1)}` : ''}`;
    case 'behind':
      return `ffmpeg fell behind: ${stop.backlogBytes} bytes unread`;
    case 'lagging':
      return `the renditions trailed the source by ${Math.round(stop.lagMs)} ms`;
    case 'bad-output':
      return `ffmpeg wrote what we cannot read: ${stop.reason}`;
    case 'stopped':
      return 'stopped';
  }
}
