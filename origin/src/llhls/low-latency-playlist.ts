import { LivePlaylist, PlaylistEndedError } from '../hls/live-playlist.js';
import type { ReloadPosition } from './blocking-reload.js';
import { LOW_LATENCY_FILE_NAMING, type LowLatencyNaming } from '../../../llhls-contract/src/llhls-names.js';
import { renderLowLatencyPlaylist, type RenderOptions } from './playlist-text.js';

/**
 * A live Low-Latency HLS media playlist (RFC 8216bis) as typed data: segments made of parts, the
 * segment in progress as parts only, and the hint for the next part. Pure: no I/O, no clock, no
 * bytes. The packager stores a part's bytes under `preloadHint.uri` and then calls addPart; it
 * stores the whole segment under `segmentUri` and then calls endSegment. The playlist names every
 * file (see llhls-contract/src/llhls-names.ts), so the hint always names the part that follows.
 */

export interface NewPart {
  durationSeconds: number;
  /** The part starts with a keyframe (or holds only audio): EXT-X-PART INDEPENDENT=YES. */
  independent: boolean;
  /** Wall-clock time of the part's first sample; the segment's EXT-X-PROGRAM-DATE-TIME if the part opens one. */
  programDateTime: Date;
  /**
   * Timestamps or encoding do not continue the previous part's: EXT-X-DISCONTINUITY. Only on a
   * part that opens a segment.
   */
  discontinuity?: boolean;
  /**
   * The muxer wrote a new init section (new tracks or codec settings): a new EXT-X-MAP. Only on a
   * part that opens a segment.
   */
  newInitSection?: boolean;
}

export interface PlaylistPart {
  readonly uri: string;
  readonly mediaSequenceNumber: number;
  readonly partIndex: number;
  /** Rounded to milliseconds: exactly what the playlist says. */
  readonly durationSeconds: number;
  readonly independent: boolean;
}

/** A segment as far as it goes: finished, or in progress (then it is listed as parts only). */
export interface PlaylistSegmentParts {
  readonly mediaSequenceNumber: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE plus the discontinuity tags up to and including this segment's. */
  readonly discontinuitySequence: number;
  readonly discontinuity: boolean;
  readonly programDateTime: Date;
  /** URI of the init section (EXT-X-MAP) this segment's media needs. */
  readonly initSectionUri: string;
  readonly parts: readonly PlaylistPart[];
}

export interface FinishedSegment extends PlaylistSegmentParts {
  readonly uri: string;
  /** The sum of its parts. */
  readonly durationSeconds: number;
}

/** The part the packager produces next, announced by EXT-X-PRELOAD-HINT. */
export interface PlannedPart {
  readonly uri: string;
  readonly mediaSequenceNumber: number;
  readonly partIndex: number;
}

export interface SegmentEnd {
  segment: FinishedSegment;
  /**
   * Segments that left the window, oldest first. Their files (segment and parts) must stay
   * downloadable a while longer (RFC 8216bis 6.2.2), as the MPEG-TS writer keeps a segment that
   * left its playlist for HLS_SEGMENT_GRACE_SECONDS.
   */
  removed: FinishedSegment[];
}

export interface LowLatencyPlaylistOptions {
  /** The longest segment the muxer intends to produce, whole seconds >= 1: the starting EXT-X-TARGETDURATION. */
  targetDurationSeconds: number;
  /** EXT-X-PART-INF:PART-TARGET, > 0 and <= the target duration (HLS_PART_SECONDS). */
  partTargetSeconds: number;
  /** Seconds of media the playlist keeps (at least three target durations). Default 60. */
  windowSeconds?: number;
  /** Media sequence number of the first segment. Default 0; the packager starts it from the clock. */
  firstMediaSequence?: number;
  /** How media is named. Default: llhls-contract/src/llhls-names.ts. */
  naming?: LowLatencyNaming;
}

interface SegmentInProgress extends PlaylistSegmentParts {
  readonly parts: PlaylistPart[];
}

const toMs = (seconds: number): number => Math.round(seconds * 1000);

export class LowLatencyPlaylist implements ReloadPosition {
  /**
   * The finished segments: the MPEG-TS playlist's rules hold for them unchanged (the window,
   * the sequence numbers, the target duration, ENDLIST), so that playlist keeps them.
   */
  private readonly window: LivePlaylist;
  /** The same segments with their parts and init sections. */
  private readonly finished: FinishedSegment[] = [];
  private readonly naming: LowLatencyNaming;
  private inProgress: SegmentInProgress | undefined;
  private partTargetMs: number;
  /** resume() was called: the next segment opens with a discontinuity. */
  private nextIsDiscontinuity = false;
  private initSectionUri: string | undefined;

  constructor(options: LowLatencyPlaylistOptions) {
    const { targetDurationSeconds, partTargetSeconds, windowSeconds, firstMediaSequence } = options;
    this.window = new LivePlaylist({ targetDurationSeconds, windowSeconds, firstMediaSequence });
    const partTargetMs = toMs(partTargetSeconds);
    if (!Number.isFinite(partTargetMs) || partTargetMs <= 0 || partTargetSeconds > targetDurationSeconds) {
      throw new RangeError(
        `partTargetSeconds must be > 0 and <= targetDurationSeconds (${targetDurationSeconds}), ` +
          `got ${partTargetSeconds}`,
      );
    }
    this.partTargetMs = partTargetMs;
    this.naming = options.naming ?? LOW_LATENCY_FILE_NAMING;
  }

  get windowSeconds(): number {
    return this.window.windowSeconds;
  }

  get ended(): boolean {
    return this.window.ended;
  }

  /** EXT-X-MEDIA-SEQUENCE: the sequence number of the oldest segment listed. */
  get mediaSequence(): number {
    return this.finished[0]?.mediaSequenceNumber ?? this.nextMediaSequence;
  }

  /** EXT-X-DISCONTINUITY-SEQUENCE: the oldest segment's, before its own discontinuity tag. */
  get discontinuitySequence(): number {
    const oldest = this.finished[0];
    return oldest ? oldest.discontinuitySequence - (oldest.discontinuity ? 1 : 0) : 0;
  }

  /** Sequence number of the segment in progress (or of the one the next part opens). */
  get nextMediaSequence(): number {
    return this.window.nextMediaSequence;
  }

  /**
   * URI a new init section gets if the next segment opens with one (`newInitSection`): store it
   * there between endSegment() and that segment's first part.
   */
  get nextInitSectionUri(): string {
    return this.naming.init(this.nextMediaSequence);
  }

  /** URI the segment in progress gets once it ends: store the whole segment there before endSegment(). */
  get segmentUri(): string {
    return this.naming.segment(this.nextMediaSequence);
  }

  /** EXT-X-TARGETDURATION, as the MPEG-TS playlist's: the configured target, raised by any longer segment. */
  get targetDurationSeconds(): number {
    return this.window.targetDurationSeconds;
  }

  /**
   * EXT-X-PART-INF:PART-TARGET. Every part must be at most this long (RFC 8216bis 4.4.4.9), so a
   * longer part (a stream with fewer frames a second than parts need) raises it for good, the
   * way a long segment raises the target duration.
   */
  get partTargetSeconds(): number {
    return this.partTargetMs / 1000;
  }

  get segments(): readonly FinishedSegment[] {
    return this.finished;
  }

  /** The segment being produced, once it has a part: listed as parts, without EXTINF. */
  get segmentInProgress(): PlaylistSegmentParts | undefined {
    return this.inProgress;
  }

  get openPartCount(): number {
    return this.inProgress?.parts.length ?? 0;
  }

  /** The next part (EXT-X-PRELOAD-HINT); none once the playlist has ended. */
  get preloadHint(): PlannedPart | undefined {
    if (this.ended) return undefined;
    const mediaSequenceNumber = this.nextMediaSequence;
    const partIndex = this.openPartCount;
    return { uri: this.naming.part(mediaSequenceNumber, partIndex), mediaSequenceNumber, partIndex };
  }

  partCountOf(mediaSequenceNumber: number): number | undefined {
    return this.finished[mediaSequenceNumber - this.mediaSequence]?.parts.length;
  }

  /** Appends a part to the segment in progress, opening one if none is. Returns it as listed. */
  addPart(part: NewPart): PlaylistPart {
    const planned = this.preloadHint;
    if (!planned) throw new PlaylistEndedError(this.naming.part(this.nextMediaSequence, this.openPartCount));
    const durationMs = toMs(part.durationSeconds);
    if (!Number.isFinite(durationMs) || durationMs <= 0) {
      throw new RangeError(`part ${planned.uri} duration must be at least 1 ms, got ${part.durationSeconds} seconds`);
    }
    if (Number.isNaN(part.programDateTime.getTime())) {
      throw new RangeError(`part ${planned.uri} programDateTime is not a valid date`);
    }
    if (this.inProgress && (part.discontinuity || part.newInitSection)) {
      throw new RangeError(
        `part ${planned.uri}: a discontinuity or a new init section starts a segment; call endSegment() first`,
      );
    }
    const segment = this.inProgress ?? this.openSegment(part);
    const added: PlaylistPart = {
      uri: planned.uri,
      mediaSequenceNumber: planned.mediaSequenceNumber,
      partIndex: planned.partIndex,
      durationSeconds: durationMs / 1000,
      independent: part.independent,
    };
    segment.parts.push(added);
    this.partTargetMs = Math.max(this.partTargetMs, durationMs);
    return added;
  }

  /** The segment in progress is complete: it gets its URI and EXTINF, and the window slides. */
  endSegment(): SegmentEnd {
    const segment = this.inProgress;
    if (!segment) throw new RangeError(`segment ${this.nextMediaSequence} has no part yet: nothing to end`);
    const durationMs = segment.parts.reduce((sum, part) => sum + toMs(part.durationSeconds), 0);
    // openSegment() gave the segment the sequence numbers and date the window gives it here.
    const uri = this.naming.segment(segment.mediaSequenceNumber);
    const done: FinishedSegment = { ...segment, uri, durationSeconds: durationMs / 1000 };
    const removed = this.window.addSegment(done);
    this.finished.push(done);
    this.inProgress = undefined;
    return { segment: done, removed: this.finished.splice(0, removed.length) };
  }

  /**
   * The publisher stopped: the parts so far become the last segment, and the playlist gets
   * EXT-X-ENDLIST (and loses its preload hint) until resume().
   */
  end(): SegmentEnd | undefined {
    const last = this.inProgress ? this.endSegment() : undefined;
    this.window.end();
    return last;
  }

  /**
   * The publisher is back (after end(), or after a drop the ingest noticed without a clean end):
   * ENDLIST goes, and the next segment is marked EXT-X-DISCONTINUITY. Parts of the dropped session
   * still in progress first become a segment of their own, as in end().
   */
  resume(): SegmentEnd | undefined {
    const last = this.inProgress ? this.endSegment() : undefined;
    this.window.resume();
    if (this.finished.length > 0) this.nextIsDiscontinuity = true;
    return last;
  }

  render(options: RenderOptions = {}): string {
    return renderLowLatencyPlaylist(this, options);
  }

  private openSegment(part: NewPart): SegmentInProgress {
    const mediaSequenceNumber = this.nextMediaSequence;
    const previous = this.finished.at(-1);
    const discontinuity = (part.discontinuity ?? false) || this.nextIsDiscontinuity;
    this.nextIsDiscontinuity = false;
    if (part.newInitSection || this.initSectionUri === undefined) {
      this.initSectionUri = this.naming.init(mediaSequenceNumber);
    }
    // The numbers and date the window (LivePlaylist) gives the segment once it ends: a segment
    // stamped at or before the previous one (a reconnected publisher can do that) starts where the
    // previous one ended.
    const dateMs = part.programDateTime.getTime();
    const startsMs =
      previous && dateMs <= previous.programDateTime.getTime()
        ? previous.programDateTime.getTime() + toMs(previous.durationSeconds)
        : dateMs;
    this.inProgress = {
      mediaSequenceNumber,
      discontinuitySequence: (previous?.discontinuitySequence ?? 0) + (discontinuity ? 1 : 0),
      discontinuity,
      programDateTime: new Date(startsMs),
      initSectionUri: this.initSectionUri,
      parts: [],
    };
    return this.inProgress;
  }
}
