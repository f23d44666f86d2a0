/**
 * A fallback video as an endless live source: the file's tags again and again on one timeline
 * that only goes forward. Each loop starts one frame after the previous loop's last video frame
 * (audio-only: audio frame), so a target or a segmenter sees a steady stream, not a jump back to
 * 0 every few seconds.
 * Pure: no clock, no I/O (FallbackPlayer paces it).
 */
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { classifyTag } from '../restream/flv-tag-kind.js';
import { FallbackMediaError } from './fallback-errors.js';

/** Frame durations assumed for a track with a single frame: 30 fps video, 48 kHz AAC. */
const DEFAULT_VIDEO_FRAME_MS = 1000 / 30;
const DEFAULT_AUDIO_FRAME_MS = 1024_000 / 48_000;

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;

/** RTMP timestamps are 32 bits of milliseconds; the timeline itself does not wrap. */
const RTMP_TIMESTAMP_MODULUS = 2 ** 32;

interface LoopFrame {
  type: number;
  /** From the file's first frame. */
  offsetMs: number;
  body: Uint8Array;
}

export class FallbackLoop {
  /** Media time of one pass, from its first frame to one frame past its last video frame. */
  readonly loopMs: number;
  /** Metadata and sequence headers, sent once before the first frame. */
  private readonly headers: FlvTag[];
  private readonly frames: LoopFrame[];
  private headerIndex = 0;
  private frameIndex = 0;
  private loop = 0;

  /** `tags`: the file's tags in file order (readFlvTags); bodies are kept, not copied. */
  constructor(tags: Iterable<FlvTag>) {
    const headers: FlvTag[] = [];
    const frames: LoopFrame[] = [];
    let firstMs: number | undefined;
    let sawKeyframe = false;
    for (const tag of tags) {
      const kind = classifyTag(tag.type, tag.body);
      if (kind === 'metadata' || kind === 'video-config' || kind === 'audio-config') {
        headers.push({ type: tag.type, timestampMs: 0, body: tag.body });
        continue;
      }
      if (kind !== 'audio' && kind !== 'video' && kind !== 'video-key') continue;
      // A loop must start where a decoder can: frames before the first keyframe are useless.
      if (kind === 'video-key') sawKeyframe = true;
      if (kind === 'video' && !sawKeyframe) continue;
      firstMs ??= tag.timestampMs;
      frames.push({ type: tag.type, offsetMs: tag.timestampMs - firstMs, body: tag.body });
    }
    if (frames.length === 0) throw new FallbackMediaError('the fallback video holds no audio or video frame');
    this.headers = headers;
    // Video decides the loop: a stutter each loop would show. Encoders often end the audio a few
    // frames later; that tail is dropped so that the next loop's audio does not overlap it.
    const videoEndMs = trackEndMs(frames, TAG_VIDEO, DEFAULT_VIDEO_FRAME_MS);
    if (videoEndMs > 0) {
      const audioFrameMs = frameDurationMs(frames, TAG_AUDIO, DEFAULT_AUDIO_FRAME_MS);
      this.frames = frames.filter((frame) => frame.type !== TAG_AUDIO || frame.offsetMs + audioFrameMs <= videoEndMs);
      this.loopMs = videoEndMs;
    } else {
      this.frames = frames;
      this.loopMs = trackEndMs(frames, TAG_AUDIO, DEFAULT_AUDIO_FRAME_MS);
    }
  }

  /** Timeline time of the tag next() returns, in ms since the start of the first loop. */
  get nextTimeMs(): number {
    if (this.headerIndex < this.headers.length) return 0;
    return this.loop * this.loopMs + this.frames[this.frameIndex]!.offsetMs;
  }

  /** The next tag, its timestamp on the timeline (modulo 32 bits, as RTMP carries it). */
  next(): FlvTag {
    if (this.headerIndex < this.headers.length) return this.headers[this.headerIndex++]!;
    const frame = this.frames[this.frameIndex]!;
    const timeMs = Math.round(this.loop * this.loopMs + frame.offsetMs);
    this.frameIndex += 1;
    if (this.frameIndex === this.frames.length) {
      this.frameIndex = 0;
      this.loop += 1;
    }
    return { type: frame.type, timestampMs: timeMs % RTMP_TIMESTAMP_MODULUS, body: frame.body };
  }
}

/** One frame past the track's last frame, from the first frame of the file; 0 without the track. */
function trackEndMs(frames: readonly LoopFrame[], type: number, defaultFrameMs: number): number {
  let lastMs = -1;
  for (const frame of frames) if (frame.type === type) lastMs = Math.max(lastMs, frame.offsetMs);
  return lastMs < 0 ? 0 : lastMs + frameDurationMs(frames, type, defaultFrameMs);
}

/** The median step between the track's frames: millisecond timestamps jitter around the real duration. */
function frameDurationMs(frames: readonly LoopFrame[], type: number, defaultFrameMs: number): number {
  const steps: number[] = [];
  let previous: number | undefined;
  for (const frame of frames) {
    if (frame.type !== type) continue;
    if (previous !== undefined && frame.offsetMs > previous) steps.push(frame.offsetMs - previous);
    previous = frame.offsetMs;
  }
  steps.sort((a, b) => a - b);
  return steps.length > 0 ? steps[Math.floor(steps.length / 2)]! : defaultFrameMs;
}
