/**
 * The front stage of every packager: RTMP/FLV tags in, media frames and the stream's track
 * configuration out. It parses the tags, extends RTMP timestamps onto one timeline, holds media
 * until the stream's tracks are known (TrackProbe), and reports mid-stream sequence header
 * changes. The MPEG-TS segmenter and the CMAF packager both take its events, so both see the
 * same tracks, the same frames and the same jumps. No I/O.
 */
import { FLV_TAG_SCRIPT, type FlvFrame, type FlvTag, type MediaFrame, parseFlvTag } from './flv-tag.js';
import { MediaFormatError } from './media-format-error.js';
import { RtmpTimeline } from './rtmp-timeline.js';
import { type AudioConfig, audioConfigFrom, sameConfig, type VideoConfig, videoConfigFrom } from './stream-config.js';
import { TrackProbe } from './track-probe.js';

/** The sequence headers of the tracks a stream was decided to have. */
export interface StageTracks {
  video?: VideoConfig;
  audio?: AudioConfig;
}

export type StageEvent =
  /**
   * The tracks, once decided (`changed` false), then again whenever a sequence header of a
   * decided track changes (`changed` true): the frames that follow use the new one.
   */
  | { kind: 'tracks'; tracks: StageTracks; changed: boolean }
  /**
   * A frame of a decided track, `dtsMs` on the extended timeline. `data` is valid until the next
   * call. `timestampJump`: its DTS reset or leapt from its track's previous one.
   */
  | { kind: 'frame'; frame: MediaFrame; timestampJump: boolean };

/** A back end of the front stage: the MPEG-TS cutter, the CMAF packager. */
export interface FrameStageConsumer {
  /** Takes the stage's events in order; throws MediaFormatError for media it cannot package. */
  take(events: readonly StageEvent[]): void;
  /** The source ended: what is in progress is finished. */
  flush(): void;
}

export interface FrameStageOptions {
  /** Media time to wait for a second sequence header before deciding on one track. */
  trackProbeMs: number;
  /** The most media held while the tracks are undecided. */
  maxProbeBytes: number;
}

const NO_EVENTS: readonly StageEvent[] = Object.freeze([]);

export class FlvFrameStage {
  private readonly probe: TrackProbe;
  private readonly timeline = new RtmpTimeline();
  private video: VideoConfig | undefined;
  private audio: AudioConfig | undefined;
  private decided: { video: boolean; audio: boolean } | undefined;
  private events: StageEvent[] = [];

  constructor(options: FrameStageOptions) {
    this.probe = new TrackProbe(options.trackProbeMs, options.maxProbeBytes);
  }

  /**
   * Takes one RTMP message's FLV tag; `tag.body` is not kept past the call. Throws
   * MediaFormatError for media no packager takes (a codec other than H.264 and AAC, a malformed
   * tag or sequence header).
   */
  push(tag: FlvTag): readonly StageEvent[] {
    if (tag.type === FLV_TAG_SCRIPT) return NO_EVENTS;
    this.handle(parseFlvTag(tag, this.timeline.extend(tag.timestampMs)));
    return this.take();
  }

  /** The source ends: tracks still undecided are decided now, and the held frames come out. */
  flush(): readonly StageEvent[] {
    if (!this.decided) this.decideTracks(true);
    return this.take();
  }

  private take(): readonly StageEvent[] {
    if (this.events.length === 0) return NO_EVENTS;
    const events = this.events;
    this.events = [];
    return events;
  }

  private handle(frame: FlvFrame): void {
    switch (frame.kind) {
      case 'unsupported':
        throw new MediaFormatError(
          `${frame.track} codec ${frame.codec} is not supported: HLS packaging takes H.264 video and AAC audio`,
        );
      case 'avc-config':
        // An empty header says "not known yet", not "broken": ffmpeg's FLV muxer writes one when a
        // track's configuration only comes with its first packet (H.264 and ADTS AAC copied from
        // MPEG-TS: SRT, HLS, a relayed .ts), then the real one. Frames before it are dropped.
        if (frame.data.length === 0) return;
        // A header for a track the stream was decided not to have cannot be used without a new program.
        if (sameConfig(this.video, frame.data) || (this.decided && !this.decided.video)) return;
        this.video = videoConfigFrom(frame.data);
        return this.configChanged();
      case 'aac-config':
        if (frame.data.length === 0) return;
        if (sameConfig(this.audio, frame.data) || (this.decided && !this.decided.audio)) return;
        this.audio = audioConfigFrom(frame.data);
        return this.configChanged();
      case 'avc-frame':
      case 'aac-frame':
        return this.onMedia(frame);
      default:
        // Metadata and end-of-sequence: the source's end is the caller's flush().
        return;
    }
  }

  private configChanged(): void {
    if (this.decided) this.events.push({ kind: 'tracks', tracks: this.tracks(), changed: true });
  }

  private onMedia(frame: MediaFrame): void {
    if (this.decided) return this.emit(frame);
    // Without its sequence header a frame cannot be decoded, now or later.
    if (!(frame.kind === 'avc-frame' ? this.video : this.audio)) return;
    this.probe.hold(frame);
    this.decideTracks(false);
  }

  private decideTracks(force: boolean): void {
    const decided = this.probe.decide(this.video !== undefined, this.audio !== undefined, force);
    if (!decided) return;
    this.decided = decided;
    this.events.push({ kind: 'tracks', tracks: this.tracks(), changed: false });
    for (const frame of this.probe.drain()) this.emit(frame);
  }

  private emit(frame: MediaFrame): void {
    const track = frame.kind === 'avc-frame' ? 'video' : 'audio';
    if (!this.decided?.[track] || !this[track]) return;
    this.events.push({ kind: 'frame', frame, timestampJump: this.timeline.jumped(track, frame.dtsMs) });
  }

  private tracks(): StageTracks {
    const tracks: StageTracks = {};
    if (this.decided?.video && this.video) tracks.video = this.video;
    if (this.decided?.audio && this.audio) tracks.audio = this.audio;
    return tracks;
  }
}
