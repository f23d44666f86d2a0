/**
 * The timestamps a target sees. Two steps:
 * 1. source to continuous: the publisher's 32-bit RTMP time, extended past its wrap and rebased
 *    whenever it restarts (a publisher reconnect, an encoder reset), so that it never goes back;
 * 2. continuous to connection: each connection to the target starts at 0 with its first frame.
 */
import { RtmpTimeline } from '../media/rtmp-timeline.js';

/**
 * Between the last frame of one source and the first of the next. About a frame: the target's
 * timeline must move forward, and a real pause would only make players wait.
 */
export const SOURCE_SWITCH_GAP_MS = 40;

export type Track = 'audio' | 'video';

export class RestreamClock {
  private timeline = new RtmpTimeline();
  private offset = 0;
  private rebase = true;
  /** The latest continuous time so far: a restarted source continues after it. */
  private latest = -SOURCE_SWITCH_GAP_MS;
  /** Continuous time of the connection's first frame. */
  private base: number | undefined;
  private lastAudio = 0;
  private lastVideo = 0;

  /** Source time of an audio or video frame to continuous time. */
  continuous(track: Track, sourceMs: number): number {
    const extended = this.timeline.extend(sourceMs);
    const jumped = this.timeline.jumped(track, extended);
    if (this.rebase || jumped) {
      this.offset = this.latest + SOURCE_SWITCH_GAP_MS - extended;
      this.rebase = false;
    }
    const time = extended + this.offset;
    if (time > this.latest) this.latest = time;
    return time;
  }

  /** The publisher is gone or back: its next timestamp starts a new timeline. */
  sourceRestarted(): void {
    this.timeline = new RtmpTimeline();
    this.rebase = true;
  }

  startConnection(): void {
    this.base = undefined;
    this.lastAudio = 0;
    this.lastVideo = 0;
  }

  /**
   * Connection time of a frame, never behind the previous one of its track; undefined when the
   * frame is older than the connection's first frame (audio interleaved just before a keyframe).
   */
  connectionTime(track: Track, continuousMs: number): number | undefined {
    this.base ??= continuousMs;
    const time = continuousMs - this.base;
    if (time < 0) return undefined;
    if (track === 'audio') {
      this.lastAudio = Math.max(time, this.lastAudio);
      return this.lastAudio;
    }
    this.lastVideo = Math.max(time, this.lastVideo);
    return this.lastVideo;
  }

  /** Connection time of the newest frame: for sequence headers and metadata sent in between. */
  connectionNow(): number {
    return Math.max(this.lastAudio, this.lastVideo);
  }
}
