/**
 * The MPEG-TS back end of the HLS segmenter: the front stage's frames and tracks (FlvFrameStage)
 * in, MPEG-TS segments out. It converts H.264 to Annex B and AAC to ADTS, and cuts segments
 * at keyframes (video) or on time (audio-only). A segment that reaches the maximum duration or
 * size is cut without a keyframe (nginx-rtmp's `hls_max_fragment`), so a publisher that sends
 * one keyframe and then only P-frames (or timestamps that never advance) cannot grow one segment
 * without limit. No I/O: the caller stores and announces segments.
 */
import { aacFrameDurationMs } from './aac-config.js';
import { AdtsBatch } from './adts-batch.js';
import { layoutAvcc, writeAnnexB } from './annex-b.js';
import type { AacFrame, AvcFrame, MediaFrame } from './flv-tag.js';
import type { FrameStageConsumer, StageEvent, StageTracks } from './frame-stage.js';
import { MediaFormatError } from './media-format-error.js';
import type { AudioConfig, AudioTrackInfo, VideoConfig, VideoTrackInfo } from './stream-config.js';
import { type MuxerTracks, sharedTsChunks, TsMuxer } from './ts-muxer.js';

export interface HlsSegmenterOptions {
  /** A segment ends at the first keyframe (audio-only: frame) this long after its start. Default 2. */
  targetDurationSeconds?: number;
  /**
   * A segment that spans this long without a keyframe is cut before the next frame anyway, so
   * no segment rounds to more than its ceiling (the playlist's TARGETDURATION stays bounded).
   * At least the target. Default 10 times the target, as nginx-rtmp's `hls_max_fragment`.
   */
  maxDurationSeconds?: number;
  /**
   * A segment this big is cut before the next frame with a later timestamp; the same bound holds
   * the frames kept while the tracks are probed. Default 64 MiB.
   */
  maxSegmentBytes?: number;
  /** AAC frames are grouped into one PES over at most this span (see AdtsBatch). Default 100. */
  audioBatchMs?: number;
  /** Media time to wait for a second sequence header before muxing one track. Default 1000. */
  trackProbeMs?: number;
  /**
   * Where video segments start, instead of the target duration: a keyframe starts a segment
   * only when this says so (an ABR rendition follows its source's cuts, see abr/). The maximum
   * duration and size still hold.
   */
  startsSegment?: (keyframe: { dtsMs: number; ptsMs: number }) => boolean;
  /**
   * Once this many bytes of the segment in progress are muxed, they come out as a `segment-bytes`
   * event, so that the caller writes a segment as it grows instead of holding it whole (an origin
   * with hundreds of streams would hold a segment of each). Rounded up to whole chunks
   * (TS_CHUNK_BYTES). Default: none, every segment comes out whole.
   */
  progressiveBytes?: number;
}

export interface Segment {
  /**
   * A complete MPEG-TS file, in order: PAT, PMT, then PES packets starting with a keyframe when
   * there is video; with `progressiveBytes`, the rest of it after its `segment-bytes` events.
   * Views of pooled chunks: valid until given back with `HlsSegmenter.recycle`.
   */
  chunks: readonly Uint8Array[];
  /** The whole segment's size, its `segment-bytes` included. */
  byteLength: number;
  /** DTS of the next segment's first frame minus this one's, so durations add up to the timeline. */
  durationSeconds: number;
  firstDtsMs: number;
  /** PTS of the first frame: the keyframe's presentation time when there is video. */
  firstPtsMs: number;
  lastDtsMs: number;
  /** Timestamps jumped or the codec configuration changed: the playlist needs EXT-X-DISCONTINUITY. */
  discontinuity: boolean;
}

export interface TrackInfo {
  video?: VideoTrackInfo;
  audio?: AudioTrackInfo;
}

export type SegmenterEvent =
  | { kind: 'tracks'; tracks: TrackInfo }
  | { kind: 'segment'; segment: Segment }
  /** More of the segment in progress, in order (HlsSegmenterOptions.progressiveBytes); its `segment` event brings the rest. Recycle them once written. */
  | { kind: 'segment-bytes'; chunks: readonly Uint8Array[] }
  | { kind: 'rejected'; reason: string };

/** Duration assumed for the last frame of a segment with a single video frame. */
export const FALLBACK_VIDEO_FRAME_MS = 1000 / 30;

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

/** How far a segment cut at the maximum duration may run past it: less than half a second, so its EXTINF still rounds to the ceiling of the maximum. */
const MAX_OVERRUN_MS = 400;

/**
 * The Annex B form of the video frame being muxed, one for the whole process: it is filled and
 * copied into the segment within one call, so streams take turns. One per stream would hold each
 * stream's largest frame (a keyframe, 100 KB and more) for its whole life.
 */
let annexB = new Uint8Array(64 * 1024);

function annexBScratch(size: number): Uint8Array {
  if (size > annexB.length) annexB = new Uint8Array(Math.max(size, annexB.length * 2));
  return annexB;
}

interface OpenSegment {
  firstDtsMs: number;
  firstPtsMs: number;
  lastDtsMs: number;
  /** Frames and last DTS on the track that decides cuts (video if any), to measure a final segment. */
  anchorFrames: number;
  lastAnchorDtsMs: number;
  discontinuity: boolean;
}

export class TsSegmentCutter implements FrameStageConsumer {
  private readonly targetMs: number;
  private readonly maxMs: number;
  private readonly maxBytes: number;
  private readonly audioBatch: AdtsBatch;
  private readonly startsSegment: HlsSegmenterOptions['startsSegment'];
  private video: VideoConfig | undefined;
  private audio: AudioConfig | undefined;
  private muxTracks: MuxerTracks | undefined;
  private muxer: TsMuxer | undefined;
  private segment: OpenSegment | undefined;
  private started = false;
  private cutRequested = false;
  private nextDiscontinuity = false;
  private events: SegmenterEvent[] = [];
  private readonly progressiveBytes: number;

  /** Validates the options the front stage does not take (see HlsSegmenterOptions). */
  constructor(options: Omit<HlsSegmenterOptions, 'trackProbeMs'> = {}) {
    const { targetDurationSeconds = 2, audioBatchMs = 100, maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES } = options;
    if (!(targetDurationSeconds > 0 && Number.isFinite(targetDurationSeconds))) {
      throw new RangeError(`targetDurationSeconds must be a positive number, got ${targetDurationSeconds}`);
    }
    const { maxDurationSeconds = 10 * targetDurationSeconds } = options;
    if (!(maxDurationSeconds >= targetDurationSeconds && Number.isFinite(maxDurationSeconds))) {
      throw new RangeError(`maxDurationSeconds must be a number >= targetDurationSeconds (${targetDurationSeconds}), got ${maxDurationSeconds}`);
    }
    if (!(maxSegmentBytes >= 64 * 1024)) throw new RangeError(`maxSegmentBytes must be >= 65536, got ${maxSegmentBytes}`);
    if (!(audioBatchMs >= 0)) throw new RangeError(`audioBatchMs must be >= 0, got ${audioBatchMs}`);
    this.targetMs = targetDurationSeconds * 1000;
    this.maxMs = maxDurationSeconds * 1000;
    this.maxBytes = maxSegmentBytes;
    this.audioBatch = new AdtsBatch(audioBatchMs);
    this.startsSegment = options.startsSegment;
    const { progressiveBytes = Number.POSITIVE_INFINITY } = options;
    if (!(progressiveBytes > 0)) throw new RangeError(`progressiveBytes must be > 0, got ${progressiveBytes}`);
    this.progressiveBytes = progressiveBytes;
  }

  /** PTS of the segment in progress's first frame; undefined before the first one opens. */
  get openSegmentPtsMs(): number | undefined {
    return this.segment?.firstPtsMs;
  }

  /** The tracks being muxed, once decided. */
  get tracks(): TrackInfo | undefined {
    return this.muxTracks && this.trackInfo();
  }

  /**
   * Takes the front stage's events in order. Throws MediaFormatError for a malformed frame; the
   * events produced before it stay for drain().
   */
  take(events: readonly StageEvent[]): void {
    for (const event of events) {
      if (event.kind === 'tracks') this.setTracks(event.tracks, event.changed);
      else this.mux(event.frame, event.timestampJump);
    }
  }

  /** Closes the segment in progress (the source ended), measured to the end of its last frame. */
  flush(): void {
    if (this.segment) this.closeSegment(undefined);
  }

  /** The segments and track reports produced so far, oldest first; empties the list. */
  drain(): SegmenterEvent[] {
    if (this.segment && this.muxer && this.muxer.fullChunkBytes >= this.progressiveBytes) {
      this.events.push({ kind: 'segment-bytes', chunks: this.muxer.takeFullChunks() });
    }
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Gives written segment bytes (a segment's `chunks`, or a `segment-bytes` event's) back for reuse; they must not be read afterwards. */
  recycle(chunks: readonly Uint8Array[]): void {
    sharedTsChunks.give(chunks);
  }

  /** The first decision opens the program; a change starts a new segment, flagged, at the next point a player can start. */
  private setTracks(tracks: StageTracks, changed: boolean): void {
    this.video = tracks.video;
    this.audio = tracks.audio;
    if (!changed) {
      this.muxTracks = { video: tracks.video !== undefined, audio: tracks.audio !== undefined };
      this.muxer = new TsMuxer(this.muxTracks);
    } else if (this.segment) {
      this.cutRequested = true;
      this.nextDiscontinuity = true;
    }
    this.events.push({ kind: 'tracks', tracks: this.trackInfo() });
  }

  private mux(frame: MediaFrame, timestampJump: boolean): void {
    if (frame.kind === 'avc-frame') this.muxVideo(frame, timestampJump);
    else this.muxAudio(frame, timestampJump);
  }

  private muxVideo(frame: AvcFrame, timestampJump: boolean): void {
    const video = this.video;
    if (!video || !this.muxTracks?.video) return;
    // Walk the NAL units first: a malformed frame is refused before any state changes.
    const layout = layoutAvcc(frame.data, video.record.nalLengthSize);
    if (timestampJump) this.onTimestampJump();
    const startPoint = frame.keyframe && (this.startsSegment?.(frame) ?? true);
    this.cutBefore(frame.dtsMs, startPoint, frame.ptsMs, this.startsSegment !== undefined);
    const segment = this.segment;
    // Until the first keyframe there is nothing a player could start from.
    if (!segment) return;
    // Cuts follow the publisher's keyframe flag; an IDR it forgot to flag is still a start point.
    const randomAccess = frame.keyframe || layout.hasIdr;
    const parameterSets = randomAccess && !layout.hasParameterSets ? video.parameterSets : undefined;
    const size = layout.size + (parameterSets?.length ?? 0);
    const accessUnit = annexBScratch(size);
    writeAnnexB(frame.data, video.record.nalLengthSize, parameterSets, accessUnit, 0);
    this.muxer!.writeVideo(accessUnit.subarray(0, size), frame.dtsMs, frame.ptsMs, randomAccess);
    segment.lastDtsMs = Math.max(segment.lastDtsMs, frame.dtsMs);
    segment.lastAnchorDtsMs = frame.dtsMs;
    segment.anchorFrames++;
  }

  private muxAudio(frame: AacFrame, timestampJump: boolean): void {
    const audio = this.audio;
    if (!audio || !this.muxTracks?.audio) return;
    if (timestampJump) this.onTimestampJump();
    const audioOnly = !this.muxTracks.video;
    this.cutBefore(frame.dtsMs, audioOnly, frame.dtsMs, false);
    const segment = this.segment;
    // With video, audio waits for the first keyframe so every segment starts with one.
    if (!segment) return;
    if (this.audioBatch.needsFlushBefore(frame.data, audio.record, frame.dtsMs)) this.flushAudio();
    this.audioBatch.add(frame.data, audio.record, frame.dtsMs);
    segment.lastDtsMs = Math.max(segment.lastDtsMs, frame.dtsMs);
    if (audioOnly) {
      segment.lastAnchorDtsMs = frame.dtsMs;
      segment.anchorFrames++;
    }
  }

  /**
   * Before a frame: ends the segment when it is long enough and the frame is a point a player can
   * start from (`startPoint`), or when it reached the maximum duration or size whatever the frame
   * is; then opens the next segment with this frame. `chosen`: the start point was picked by
   * `startsSegment`, so the target duration does not apply.
   */
  private cutBefore(dtsMs: number, startPoint: boolean, ptsMs: number, chosen: boolean): void {
    const segment = this.segment;
    let forced = false;
    if (segment && startPoint && (chosen || this.cutRequested || dtsMs - segment.firstDtsMs >= this.targetMs)) {
      this.closeSegment(dtsMs);
    } else if (segment && dtsMs - segment.firstDtsMs >= this.maxMs) {
      this.cutAtMaxDuration(segment, dtsMs);
      forced = true;
    } else if (segment && this.muxer!.segmentBytes >= this.maxBytes) {
      // Without a later timestamp the segment would have no duration: only timestamps that do
      // not advance at all get here, which no encoder sends.
      if (dtsMs <= segment.firstDtsMs) {
        throw new MediaFormatError(`a segment reached ${this.maxBytes} bytes without its timestamps advancing`);
      }
      this.closeSegment(dtsMs);
      forced = true;
    }
    if (this.segment || !(startPoint || forced)) return;
    this.muxer!.beginSegment();
    this.segment = {
      firstDtsMs: dtsMs,
      firstPtsMs: ptsMs,
      lastDtsMs: dtsMs,
      anchorFrames: 0,
      lastAnchorDtsMs: dtsMs,
      discontinuity: this.nextDiscontinuity,
    };
    this.nextDiscontinuity = false;
    this.started = true;
  }

  /**
   * Cuts a segment that reached the maximum duration before a frame at `dtsMs`. Frames are close
   * together, so it normally lasts the maximum plus part of a frame. A pause in the media across
   * the maximum would make it longer: it then ends at the maximum, and the next segment is flagged
   * as a discontinuity, since its timestamps no longer follow from the playlist's durations.
   */
  private cutAtMaxDuration(segment: OpenSegment, dtsMs: number): void {
    if (dtsMs - segment.firstDtsMs < this.maxMs + MAX_OVERRUN_MS) {
      this.closeSegment(dtsMs);
      return;
    }
    this.closeSegment(segment.firstDtsMs + this.maxMs);
    this.nextDiscontinuity = true;
  }

  /** A reset or a leap in the timestamps ends the segment; the next one is flagged. */
  private onTimestampJump(): void {
    if (this.segment) this.closeSegment(undefined);
    if (this.started) this.nextDiscontinuity = true;
  }

  /** `nextFirstDtsMs`: the next segment's first DTS, or undefined to measure to the last frame's end. */
  private closeSegment(nextFirstDtsMs: number | undefined): void {
    const segment = this.segment!;
    this.flushAudio();
    // A final segment is measured to its last frame's estimated end, never past the maximum.
    const endMs = nextFirstDtsMs ?? Math.min(segment.lastAnchorDtsMs + this.lastFrameMs(segment), segment.firstDtsMs + this.maxMs);
    this.events.push({
      kind: 'segment',
      segment: {
        byteLength: this.muxer!.segmentBytes,
        chunks: this.muxer!.endSegment(),
        durationSeconds: (endMs - segment.firstDtsMs) / 1000,
        firstDtsMs: segment.firstDtsMs,
        firstPtsMs: segment.firstPtsMs,
        lastDtsMs: segment.lastDtsMs,
        discontinuity: segment.discontinuity,
      },
    });
    this.segment = undefined;
    this.cutRequested = false;
  }

  /** Audio frames last 1024 samples; video frames, the segment's mean (ms timestamps jitter). */
  private lastFrameMs(segment: OpenSegment): number {
    if (!this.muxTracks!.video) return aacFrameDurationMs(this.audio!.record);
    if (segment.anchorFrames < 2) return FALLBACK_VIDEO_FRAME_MS;
    return (segment.lastAnchorDtsMs - segment.firstDtsMs) / (segment.anchorFrames - 1);
  }

  private flushAudio(): void {
    if (this.audioBatch.isEmpty) return;
    const ptsMs = this.audioBatch.ptsMs;
    this.muxer!.writeAudio(this.audioBatch.take(), ptsMs);
  }

  private trackInfo(): TrackInfo {
    const tracks: TrackInfo = {};
    if (this.muxTracks?.video && this.video) tracks.video = { ...this.video.info };
    if (this.muxTracks?.audio && this.audio) tracks.audio = { ...this.audio.info };
    return tracks;
  }
}
