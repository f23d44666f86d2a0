import { join } from 'node:path';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { HlsStreamWriter } from '../hls/hls-stream-writer.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { HlsSegmenter, type Segment, type SegmenterEvent, type TrackInfo } from '../media/index.js';
import { TS_CHUNK_BYTES } from '../media/ts-muxer.js';
import { VideoFrameCounter, type VideoFrameCount } from '../media/video-frame-counter.js';
import type { VideoRecording } from '../recording/recorder.js';
import type { SourceSegment } from '../abr/abr-stream.js';
import type { LowLatencyStream } from './low-latency-stream.js';
import type { SegmentSettings } from './segment-settings.js';

/**
 * A segment is written in steps of this many bytes as it is muxed (HlsSegmenterOptions.progressiveBytes):
 * each of the muxer's chunks as soon as it is full, so a stream holds the chunk being filled and
 * at most one full one of its segment in progress (about 128 KB) instead of all of it (650 KB at
 * 2.6 Mb/s), at one write(2) per 64 KB. A step of 128 KB rounded up to three chunks and held four.
 */
const SEGMENT_WRITE_STEP_BYTES = TS_CHUNK_BYTES;

/** Told, for each segment, the time from its closing frame to its playlist on disk. */
export interface SegmentDelaySink {
  record(delayMs: number): void;
}

export interface StreamPackagerOptions {
  streamName: string;
  segments: SegmentSettings;
  /** Resolves once the stream's folder is ready; segments wait for it. */
  writer: Promise<HlsStreamWriter>;
  logger: Logger;
  delays: SegmentDelaySink;
  /** The stream's LL-HLS output (HLS_LOW_LATENCY), fed the same frames as the MPEG-TS one. */
  lowLatency?: LowLatencyStream;
  /** Told where segments start and how each was written (an ABR ladder follows them). */
  segmentObserver?: SegmentObserver;
  /** The publisher sent something we cannot package: it is disconnected. */
  onRejected: (reason: string) => void;
}

/** Follows the source's segments as they are cut and written. */
export interface SegmentObserver {
  /** A segment opened with the keyframe at `ptsMs`, while the tag that holds it is pushed. */
  segmentStarted(ptsMs: number): void;
  segmentWritten(segment: SourceSegment): void;
}

/** What the current source sends, as far as the packager knows it. */
export interface SourceMedia {
  /** Undefined until the tracks are decided. */
  tracks: TrackInfo | undefined;
  videoFrames: VideoFrameCount;
}

/**
 * A live stream turned into HLS: FLV tags go through the segmenter, finished segments and the
 * playlist are written in order; the same frames make the LL-HLS parts, held in memory. Its source may change (publisher, fallback video, publisher
 * again): each gets a segmenter of its own after a discontinuity. Publish sessions of the same
 * stream share its writer, so a publisher that reconnects after the playlist ended continues it
 * after a discontinuity too.
 */
export class StreamPackager {
  private segmenter!: HlsSegmenter;
  private videoFrames!: VideoFrameCounter;
  private writes: Promise<void> = Promise.resolve();
  private sourceStart?: { wallMs: number; dtsMs: number };
  private producedSegment = false;
  private openSegmentPtsMs: number | undefined;
  private nextDiscontinuity = false;
  /** Where the current publish session's segments are also kept; none while the fallback plays. */
  private recording?: VideoRecording;

  constructor(private readonly options: StreamPackagerOptions) {
    this.newSegmenter();
  }

  /** The current source's tracks and frame count; a new source starts afresh. */
  get media(): SourceMedia {
    return { tracks: this.segmenter.tracks, videoFrames: this.videoFrames.count };
  }

  push(tag: FlvTag): void {
    this.sourceStart ??= { wallMs: Date.now(), dtsMs: tag.timestampMs };
    this.handle(this.segmenter.push(tag), performance.now());
    const observer = this.options.segmentObserver;
    if (!observer) return;
    const started = this.segmenter.openSegmentPtsMs;
    if (started !== undefined && started !== this.openSegmentPtsMs) observer.segmentStarted(started);
    this.openSegmentPtsMs = started;
  }

  /**
   * Another source takes over. The segment in progress is written now, and the new source's
   * first segment carries EXT-X-DISCONTINUITY whether or not its timestamps or codec settings
   * differ: players must not splice two encodings as one.
   */
  switchSource(): void {
    this.handle(this.segmenter.flush(), performance.now());
    this.newSegmenter();
    this.sourceStart = undefined;
    if (this.producedSegment) this.nextDiscontinuity = true;
  }

  /** The segments cut from now on are recorded too (a publish session with recording on). */
  startRecording(recording: VideoRecording): void {
    this.recording = recording;
  }

  /**
   * The publish session is over (call after the end or the source switch that wrote its last
   * segment): once its segments are recorded, the recording learns that the publisher left;
   * `final`: for good (see VideoRecording.publisherLeft).
   */
  stopRecording(final = false): Promise<void> {
    const recording = this.recording;
    if (!recording) return Promise.resolve();
    this.recording = undefined;
    this.writes = this.writes.then(() => recording.publisherLeft(final));
    return this.writes.catch((error: unknown) => this.options.logger.error({ err: error }, 'ending the recording failed'));
  }

  /** The publisher left: the segment in progress is written, then the playlist ends. */
  end(): Promise<void> {
    this.handle(this.segmenter.flush(), performance.now());
    this.options.lowLatency?.end();
    this.writes = this.writes.then(async () => (await this.options.writer).end());
    return this.writes.catch((error: unknown) => this.options.logger.error({ err: error }, 'ending the playlist failed'));
  }

  /**
   * Another origin took the stream over: the segment in progress is dropped and the playlist is
   * left as it is, without ENDLIST, so players keep polling it while the edges move to the new
   * origin (an ENDLIST would stop them). The folder is cleaned up as after an end.
   */
  handOver(): Promise<void> {
    this.newSegmenter();
    this.options.lowLatency?.handOver();
    this.writes = this.writes.then(async () => (await this.options.writer).handOver());
    return this.writes.catch((error: unknown) => this.options.logger.error({ err: error }, 'handing the playlist over failed'));
  }

  private handle(events: readonly SegmenterEvent[], receivedAt: number): void {
    for (const event of events) {
      if (event.kind === 'segment') this.write(event.segment, receivedAt);
      else if (event.kind === 'segment-bytes') this.writeSoFar(event.chunks);
      else if (event.kind === 'tracks') this.options.logger.info({ tracks: event.tracks }, 'tracks');
      else this.options.onRejected(event.reason);
    }
  }

  private newSegmenter(): void {
    const { lowLatency } = this.options;
    this.openSegmentPtsMs = undefined;
    this.videoFrames = new VideoFrameCounter();
    const options = { ...this.options.segments, progressiveBytes: SEGMENT_WRITE_STEP_BYTES };
    this.segmenter = new HlsSegmenter(options, lowLatency ? [lowLatency, this.videoFrames] : [this.videoFrames]);
  }

  /** More of the segment in progress: on disk now, its chunks back in the pool. */
  private writeSoFar(chunks: readonly Uint8Array[]): void {
    const segmenter = this.segmenter;
    this.writes = this.writes
      .then(async () => {
        await (await this.options.writer).appendToSegment(chunks);
        segmenter.recycle(chunks);
      })
      // The segment's own write reports the failure, once.
      .catch(() => undefined);
  }

  private write(segment: Segment, receivedAt: number): void {
    const start = this.sourceStart ?? { wallMs: Date.now(), dtsMs: segment.firstDtsMs };
    // The wall-clock time of the segment's first frame, from the time the source started.
    const programDateTime = new Date(start.wallMs + (segment.firstDtsMs - start.dtsMs));
    const discontinuity = segment.discontinuity || this.nextDiscontinuity;
    this.nextDiscontinuity = false;
    this.producedSegment = true;
    const segmenter = this.segmenter;
    // The session that was live when the segment was cut, even if it has ended since.
    const recording = this.recording;
    const tracks = segmenter.tracks;
    const video = tracks?.video;
    const frames = this.videoFrames.count;
    const observer = this.options.segmentObserver;
    let mediaSequence: number | undefined;
    let listedAt = programDateTime;
    const bytes = segment.byteLength;
    this.writes = this.writes
      .then(async () => {
        const writer = await this.options.writer;
        const written = await writer.writeSegment(segment.chunks, {
          durationSeconds: segment.durationSeconds,
          programDateTime,
          discontinuity,
        });
        this.options.delays.record(performance.now() - receivedAt);
        mediaSequence = written.mediaSequenceNumber;
        listedAt = written.programDateTime;
        segmenter.recycle(segment.chunks);
        await recording
          ?.addSegment({
            file: join(writer.folder, written.uri),
            durationSeconds: written.durationSeconds,
            bytes,
            width: video?.width,
            height: video?.height,
          })
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'recording a segment failed: the live stream goes on'));
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'writing a segment failed: it is skipped');
      })
      .finally(() =>
        observer?.segmentWritten({ firstPtsMs: segment.firstPtsMs, mediaSequence, programDateTime: listedAt, bytes, durationSeconds: segment.durationSeconds, tracks, frames }),
      );
  }
}
