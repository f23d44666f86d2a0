/**
 * One ABR rendition packaged by our own segmenter: ffmpeg's FLV tags in, MPEG-TS segments in the
 * stream's folder out. It cuts only at the keyframes where the source's segments start and
 * numbers each segment as the source numbered it, so players can switch variants at any
 * segment. A segment whose source segment was not written, or that starts nowhere the source's
 * did, is dropped; the rendition then goes on after a discontinuity.
 */
import type { Logger } from '../../../service-kit/src/logger.js';
import type { HlsStreamWriter } from '../hls/hls-stream-writer.js';
import type { FlvTag } from '../media/flv-tag.js';
import type { FrameStageConsumer } from '../media/frame-stage.js';
import { HlsSegmenter, type Segment, type SegmenterEvent } from '../media/index.js';
import { VideoFrameCounter } from '../media/video-frame-counter.js';
import type { SegmentSettings } from '../packaging/segment-settings.js';
import type { Rendition } from './abr-ladder.js';
import type { SourceBoundaries } from './source-boundaries.js';
import { VariantMeter } from './variant-meter.js';

/** Segments waiting for the source's number; past this, new ones are dropped. */
const MAX_PENDING_SEGMENTS = 8;

export interface RenditionPackagerOptions {
  rendition: Rendition;
  segments: SegmentSettings;
  boundaries: SourceBoundaries;
  /** A writer for the rendition's playlist numbered from `firstMediaSequence`. */
  startWriter: (firstMediaSequence: number) => Promise<HlsStreamWriter>;
  /** A segment was listed in the rendition's playlist. */
  onSegmentWritten: (mediaSequence: number) => void;
  /** The rendition's LL-HLS output (HLS_LOW_LATENCY), fed the same frames. */
  lowLatency?: FrameStageConsumer;
  logger: Logger;
}

export class RenditionPackager {
  readonly meter: VariantMeter;
  readonly rendition: Rendition;
  private segmenter!: HlsSegmenter;
  private frames!: VideoFrameCounter;
  private writer: HlsStreamWriter | undefined;
  private writes: Promise<void> = Promise.resolve();
  private pending = 0;
  private nextDiscontinuity = false;
  /** The newest media time ffmpeg gave back, to tell how far it lags behind the source. */
  lastTimestampMs: number | undefined;

  constructor(private readonly options: RenditionPackagerOptions) {
    this.rendition = options.rendition;
    this.meter = new VariantMeter(`${options.rendition.name}.m3u8`);
    this.newSegmenter();
  }

  push(tags: readonly FlvTag[]): void {
    for (const tag of tags) {
      if (tag.type === 8 || tag.type === 9) this.lastTimestampMs = tag.timestampMs;
      this.handle(this.segmenter.push(tag));
    }
  }

  /** ffmpeg was restarted: what it had half done is dropped, the next segment follows a discontinuity. */
  restart(): void {
    this.newSegmenter();
    this.lastTimestampMs = undefined;
    this.nextDiscontinuity = true;
  }

  /** The stream ended: the playlist gets ENDLIST after the segments in flight. */
  end(): Promise<void> {
    this.writes = this.writes.then(async () => {
      await this.writer?.end();
      await this.writer?.close();
    });
    return this.writes.catch((error: unknown) => this.options.logger.error({ err: error }, 'ending a rendition playlist failed'));
  }

  private newSegmenter(): void {
    this.frames = new VideoFrameCounter();
    const { boundaries } = this.options;
    this.segmenter = new HlsSegmenter(
      { ...this.options.segments, startsSegment: (keyframe) => boundaries.find(keyframe.ptsMs) !== undefined },
      this.options.lowLatency ? [this.frames, this.options.lowLatency] : [this.frames],
    );
  }

  private handle(events: readonly SegmenterEvent[]): void {
    for (const event of events) {
      if (event.kind === 'segment') this.write(event.segment, this.segmenter);
      else if (event.kind === 'rejected') this.options.logger.warn({ reason: event.reason }, 'rendition output cannot be packaged');
    }
  }

  private write(segment: Segment, segmenter: HlsSegmenter): void {
    const boundary = this.options.boundaries.find(segment.firstPtsMs);
    if (!boundary || this.pending >= MAX_PENDING_SEGMENTS) {
      segmenter.recycle(segment.chunks);
      this.nextDiscontinuity = true;
      return;
    }
    this.pending += 1;
    const tracks = segmenter.tracks;
    const frames = this.frames.count;
    this.writes = this.writes
      .then(async () => {
        const listed = await boundary.listed;
        if (listed === undefined) {
          this.nextDiscontinuity = true;
          return;
        }
        const { mediaSequence, programDateTime } = listed;
        let discontinuity = segment.discontinuity || this.nextDiscontinuity;
        if (this.writer?.nextMediaSequence !== mediaSequence) {
          // The first segment, or one after a gap: a playlist numbered from here (numbers are implicit in HLS).
          await this.writer?.close();
          this.writer = undefined;
          this.writer = await this.options.startWriter(mediaSequence);
        }
        await this.writer.writeSegment(segment.chunks, {
          durationSeconds: segment.durationSeconds,
          programDateTime,
          discontinuity,
        });
        this.nextDiscontinuity = discontinuity = false;
        this.meter.segment(segment.byteLength, segment.durationSeconds, tracks, frames);
        this.options.onSegmentWritten(mediaSequence);
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'writing a rendition segment failed: it is skipped'))
      .finally(() => {
        this.pending -= 1;
        segmenter.recycle(segment.chunks);
      });
  }
}
