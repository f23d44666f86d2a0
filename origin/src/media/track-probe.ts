/**
 * Deciding which tracks a stream has. The PMT must list them in the first segment, but RTMP
 * never says: an audio-only publisher simply never sends a video sequence header. Encoders send
 * both sequence headers before any media, so seeing both decides at once; otherwise media is
 * held (copied) for a short window in case the other header is only late, then the tracks are
 * the ones whose headers arrived. Holding instead of dropping keeps the first GOP.
 */
import type { MediaFrame } from './flv-tag.js';
import type { MuxerTracks } from './ts-muxer.js';

export class TrackProbe {
  private frames: MediaFrame[] = [];

  /** `windowMs`: media time to wait for a missing sequence header. */
  constructor(private readonly windowMs: number) {}

  /** Keeps a copy of a frame whose sequence header has arrived. */
  hold(frame: MediaFrame): void {
    this.frames.push({ ...frame, data: frame.data.slice() });
  }

  /** The tracks to mux, or undefined while it is too early to tell. `force` decides now. */
  decide(hasVideoConfig: boolean, hasAudioConfig: boolean, force: boolean): MuxerTracks | undefined {
    if (!hasVideoConfig && !hasAudioConfig) return undefined;
    const first = this.frames[0];
    const last = this.frames[this.frames.length - 1];
    const spanMs = first && last ? last.dtsMs - first.dtsMs : 0;
    if ((hasVideoConfig && hasAudioConfig) || force || spanMs >= this.windowMs) {
      return { video: hasVideoConfig, audio: hasAudioConfig };
    }
    return undefined;
  }

  /** The held frames in arrival order; the probe is empty afterwards. */
  drain(): MediaFrame[] {
    const frames = this.frames;
    this.frames = [];
    return frames;
  }
}
