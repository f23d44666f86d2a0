/**
 * What the multivariant playlist says about one variant, measured from the segments it wrote:
 * peak and average bandwidth over the recent segments and the frame rate. No I/O.
 */
import type { TrackInfo } from '../media/index.js';
import { framesPerSecond, type VideoFrameCount } from '../media/video-frame-counter.js';
import { roundBandwidth, type Variant } from './master-playlist.js';

/** Segments measured: a minute of 2-second segments. */
const WINDOW_SEGMENTS = 30;
const NO_FRAMES: VideoFrameCount = Object.freeze({ intervals: 0, spanMs: 0 });

export class VariantMeter {
  private readonly rates: number[] = [];
  private lastFrames: VideoFrameCount | undefined;
  private tracks: TrackInfo | undefined;

  constructor(readonly uri: string) {}

  get measured(): boolean {
    return this.rates.length > 0;
  }

  segment(bytes: number, durationSeconds: number, tracks: TrackInfo | undefined, frames: VideoFrameCount): void {
    if (durationSeconds > 0) this.rates.push((bytes * 8) / durationSeconds);
    if (this.rates.length > WINDOW_SEGMENTS) this.rates.shift();
    this.tracks = tracks ?? this.tracks;
    this.lastFrames = frames;
  }

  variant(): Variant {
    const peak = Math.max(0, ...this.rates);
    const average = this.rates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, this.rates.length);
    const video = this.tracks?.video;
    const codecs = [video?.codec, this.tracks?.audio?.codec].filter((codec): codec is string => codec !== undefined);
    // Since the variant's packager started (a new source starts a new count).
    const fps = this.lastFrames && framesPerSecond(NO_FRAMES, this.lastFrames);
    return {
      uri: this.uri,
      bandwidth: roundBandwidth(peak),
      averageBandwidth: roundBandwidth(average),
      width: video?.width,
      height: video?.height,
      codecs,
      frameRate: fps ? Math.round(fps) : undefined,
    };
  }
}
