/**
 * HLS segmenter: RTMP/FLV tags in, MPEG-TS segments out, the job of nginx-rtmp's hls module.
 * The front stage (FlvFrameStage) decides the stream's tracks and turns tags into frames; the
 * back end (TsSegmentCutter) cuts and muxes them. A segment that reaches the maximum duration or
 * size is cut without a keyframe (nginx-rtmp's `hls_max_fragment`), so a publisher that sends
 * one keyframe and then only P-frames (or timestamps that never advance) cannot grow one segment
 * without limit. No I/O: the caller stores and announces segments. Other back ends (the CMAF
 * packager) may take the same frames: a media error in any of them rejects the source.
 */
import type { FlvTag } from './flv-tag.js';
import { FlvFrameStage, type FrameStageConsumer, type StageEvent } from './frame-stage.js';
import { MediaFormatError } from './media-format-error.js';
import {
  DEFAULT_MAX_SEGMENT_BYTES,
  type HlsSegmenterOptions,
  type Segment,
  type SegmenterEvent,
  type TrackInfo,
  TsSegmentCutter,
} from './ts-segment-cutter.js';

export {
  DEFAULT_MAX_SEGMENT_BYTES,
  FALLBACK_VIDEO_FRAME_MS,
  type HlsSegmenterOptions,
  type Segment,
  type SegmenterEvent,
  type TrackInfo,
} from './ts-segment-cutter.js';

const NO_EVENTS: readonly SegmenterEvent[] = Object.freeze([]);

/** The front stage's options as the segmenter's options name them. */
export function frameStageOptions(options: HlsSegmenterOptions = {}): ConstructorParameters<typeof FlvFrameStage>[0] {
  const { trackProbeMs = 1000, maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES } = options;
  if (!(trackProbeMs >= 0)) throw new RangeError(`trackProbeMs must be >= 0, got ${trackProbeMs}`);
  return { trackProbeMs, maxProbeBytes: maxSegmentBytes };
}

export class HlsSegmenter {
  private readonly stage: FlvFrameStage;
  private readonly cutter: TsSegmentCutter;
  private readonly consumers: readonly FrameStageConsumer[];
  private rejected = false;

  /** `alsoTo`: back ends fed the same frames and tracks, after the MPEG-TS one. */
  constructor(options: HlsSegmenterOptions = {}, alsoTo: readonly FrameStageConsumer[] = []) {
    this.cutter = new TsSegmentCutter(options);
    this.stage = new FlvFrameStage(frameStageOptions(options));
    this.consumers = [this.cutter, ...alsoTo];
  }

  /** The tracks being muxed, once decided. */
  get tracks(): TrackInfo | undefined {
    return this.cutter.tracks;
  }

  /** PTS of the segment in progress's first frame (see TsSegmentCutter.openSegmentPtsMs). */
  get openSegmentPtsMs(): number | undefined {
    return this.cutter.openSegmentPtsMs;
  }

  /** Takes one RTMP message's FLV tag; `tag.body` is not kept past the call. */
  push(tag: FlvTag): readonly SegmenterEvent[] {
    if (this.rejected) return NO_EVENTS;
    return this.guard(() => this.feed(this.stage.push(tag)));
  }

  /** Gives written segment bytes (a segment's `chunks`, or a `segment-bytes` event's) back for reuse; they must not be read afterwards. */
  recycle(chunks: readonly Uint8Array[]): void {
    this.cutter.recycle(chunks);
  }

  /** Closes the segment in progress (on unpublish), measured to the end of its last frame. */
  flush(): readonly SegmenterEvent[] {
    return this.guard(() => {
      if (!this.rejected) this.feed(this.stage.flush());
      for (const consumer of this.consumers) consumer.flush();
    });
  }

  private feed(events: readonly StageEvent[]): void {
    if (events.length === 0) return;
    for (const consumer of this.consumers) consumer.take(events);
  }

  private guard(work: () => void): readonly SegmenterEvent[] {
    let rejection: SegmenterEvent | undefined;
    try {
      work();
    } catch (error) {
      if (!(error instanceof MediaFormatError)) throw error;
      this.rejected = true;
      rejection = { kind: 'rejected', reason: error.message };
    }
    const events: SegmenterEvent[] = this.cutter.drain();
    if (rejection) events.push(rejection);
    return events.length === 0 ? NO_EVENTS : events;
  }
}
