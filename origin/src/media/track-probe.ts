/**
 * Deciding which tracks a stream has. The PMT must list them in the first segment, but RTMP
 * never says: an audio-only publisher simply never sends a video sequence header. Encoders send
 * both sequence headers before any media, so seeing both decides at once; otherwise media is
 * held (copied) for a short window in case the other header is only late, then the tracks are
 * the ones whose headers arrived. Holding instead of dropping keeps the first GOP. The window is
 * media time, which a publisher controls: a byte bound decides early when the held media would
 * outgrow what one segment may hold.
 */
import type { MediaFrame } from './flv-tag.js';
import { TS_PACKET_SIZE } from './ts-packet.js';
import type { MuxerTracks } from './ts-muxer.js';

export class TrackProbe {
  private frames: MediaFrame[] = [];
  private heldBytes = 0;

  /**
   * `windowMs`: media time to wait for a missing sequence header. `maxBytes`: the most it holds,
   * each frame counted as at least one TS packet (what it costs in a segment, and more than a
   * frame's bookkeeping here).
   */
  constructor(
    private readonly windowMs: number,
    private readonly maxBytes: number,
  ) {}

  /** Keeps a copy of a frame whose sequence header has arrived. */
  hold(frame: MediaFrame): void {
    this.frames.push({ ...frame, data: frame.data.slice() });
    this.heldBytes += Math.max(frame.data.length, TS_PACKET_SIZE);
  }

  /** The tracks to mux, or undefined while it is too early to tell. `force` decides now. */
  decide(hasVideoConfig: boolean, hasAudioConfig: boolean, force: boolean): MuxerTracks | undefined {
    if (!hasVideoConfig && !hasAudioConfig) return undefined;
    const first = this.frames[0];
    const last = this.frames[this.frames.length - 1];
    const spanMs = first && last ? last.dtsMs - first.dtsMs : 0;
    if ((hasVideoConfig && hasAudioConfig) || force || spanMs >= this.windowMs || this.heldBytes >= this.maxBytes) {
      return { video: hasVideoConfig, audio: hasAudioConfig };
    }
    return undefined;
  }

  /** The held frames in arrival order; the probe is empty afterwards. */
  drain(): MediaFrame[] {
    const frames = this.frames;
    this.frames = [];
    this.heldBytes = 0;
    return frames;
  }
}
