import HLS from 'hls-parser';

/**
 * A live sliding-window HLS media playlist (RFC 8216) as typed data, rendered through hls-parser.
 * Pure: no I/O, no clock. The directory writer owns the files; this owns the playlist rules.
 */

/** EXT-X-VERSION 3: the lowest version that allows decimal EXTINF durations. */
export const PLAYLIST_VERSION = 3;

/** Default window, as nginx-rtmp's `hls_playlist_length`. */
export const DEFAULT_WINDOW_SECONDS = 60;

export interface NewSegment {
  /** URI as written in the playlist, relative to it (for example `42.ts`). */
  uri: string;
  durationSeconds: number;
  /** Wall-clock time of the segment's first sample (EXT-X-PROGRAM-DATE-TIME). */
  programDateTime: Date;
  /** The segment does not continue the previous one's timestamps or encoding. */
  discontinuity?: boolean;
}

export interface PlaylistSegment {
  readonly uri: string;
  /** Rounded to milliseconds: exactly what the playlist says. */
  readonly durationSeconds: number;
  readonly programDateTime: Date;
  readonly discontinuity: boolean;
  readonly mediaSequenceNumber: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE plus the discontinuity tags up to and including this segment's. */
  readonly discontinuitySequence: number;
}

export interface LivePlaylistOptions {
  /**
   * The longest segment the segmenter intends to produce, in whole seconds (>= 1). It is the
   * starting EXT-X-TARGETDURATION; see `targetDurationSeconds` below.
   */
  targetDurationSeconds: number;
  /** Seconds of media the playlist keeps (>= the latest segments covering it). Default 60. */
  windowSeconds?: number;
  /** Media sequence number of the first segment. Default 0. */
  firstMediaSequence?: number;
}

export class PlaylistEndedError extends Error {
  readonly code = 'LIVE_ERR_PLAYLIST_ENDED';
  override readonly name = 'PlaylistEndedError';
  constructor(uri: string) {
    super(`cannot add segment ${JSON.stringify(uri)}: the playlist has ended; call resume() first`);
  }
}

export class LivePlaylist {
  readonly windowSeconds: number;
  private readonly live: PlaylistSegment[] = [];
  private targetDuration: number;
  private mediaSequence: number;
  private discontinuitySequence = 0;
  private isEnded = false;
  private nextIsDiscontinuity = false;

  constructor(options: LivePlaylistOptions) {
    const { targetDurationSeconds, windowSeconds = DEFAULT_WINDOW_SECONDS, firstMediaSequence = 0 } = options;
    if (!Number.isInteger(targetDurationSeconds) || targetDurationSeconds < 1) {
      throw new RangeError(`targetDurationSeconds must be an integer >= 1, got ${targetDurationSeconds}`);
    }
    if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError(`windowSeconds must be a number > 0, got ${windowSeconds}`);
    }
    if (!Number.isSafeInteger(firstMediaSequence) || firstMediaSequence < 0) {
      throw new RangeError(`firstMediaSequence must be a safe integer >= 0, got ${firstMediaSequence}`);
    }
    this.targetDuration = targetDurationSeconds;
    this.windowSeconds = windowSeconds;
    this.mediaSequence = firstMediaSequence;
  }

  /** Sequence number the next added segment gets; the writer names the segment file after it. */
  get nextMediaSequence(): number {
    return this.mediaSequence + this.live.length;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  get segments(): readonly PlaylistSegment[] {
    return this.live;
  }

  /**
   * EXT-X-TARGETDURATION. RFC 8216 §4.3.3.1 requires it to be >= every EXTINF rounded to the
   * nearest integer, and §6.2.1 forbids changing it. So it starts at the configured target and
   * only ever grows, to the rounded length of the longest segment ever added (also across
   * resume), which happens only when the segmenter overshoots its own target. Rounding (not
   * ceiling) is the spec's rule and keeps player reload intervals short.
   */
  get targetDurationSeconds(): number {
    return this.targetDuration;
  }

  /** Appends a segment and returns the segments that left the window, oldest first. */
  addSegment(segment: NewSegment): PlaylistSegment[] {
    const { uri, durationSeconds, programDateTime } = segment;
    if (this.isEnded) throw new PlaylistEndedError(uri);
    if (uri === '' || uri.startsWith('#') || /[\r\n]/.test(uri)) {
      throw new RangeError(`segment uri must be one line not starting with #, got ${JSON.stringify(uri)}`);
    }
    // The playlist shows milliseconds; every rule below works on the value the player will see.
    const duration = Math.round(durationSeconds * 1000) / 1000;
    if (!Number.isFinite(duration) || duration <= 0) {
      throw new RangeError(`segment ${uri} duration must be > 0 seconds, got ${durationSeconds}`);
    }
    if (Number.isNaN(programDateTime.getTime())) {
      throw new RangeError(`segment ${uri} programDateTime is not a valid date`);
    }
    const previous = this.live.at(-1);
    // Dates must go forward (hls-parser also rejects equal date lines as redundant). A publisher
    // that reconnects, or sent faster than real time, can produce an earlier date: the segment
    // then starts where the previous one ended.
    const previousEnd = previous ? previous.programDateTime.getTime() + previous.durationSeconds * 1000 : -Infinity;
    const startsAt = previous && programDateTime.getTime() <= previous.programDateTime.getTime() ? previousEnd : programDateTime.getTime();

    const discontinuity = (segment.discontinuity ?? false) || this.nextIsDiscontinuity;
    this.nextIsDiscontinuity = false;
    const discontinuitySequence =
      (previous?.discontinuitySequence ?? this.discontinuitySequence) + (discontinuity ? 1 : 0);
    this.live.push({
      uri,
      durationSeconds: duration,
      programDateTime: new Date(startsAt),
      discontinuity,
      mediaSequenceNumber: this.nextMediaSequence,
      discontinuitySequence,
    });
    this.targetDuration = Math.max(this.targetDuration, Math.round(duration));
    return this.slide();
  }

  /** The publisher stopped: the playlist gets EXT-X-ENDLIST and accepts no segment until resume(). */
  end(): void {
    this.isEnded = true;
  }

  /**
   * The publisher is back (after end(), or after a drop the ingest noticed without a clean end):
   * removes EXT-X-ENDLIST and marks the next segment with EXT-X-DISCONTINUITY, since the new
   * session's timestamps and encoder settings need not continue the old ones.
   */
  resume(): void {
    this.isEnded = false;
    if (this.live.length > 0) this.nextIsDiscontinuity = true;
  }

  render(): string {
    const playlist = new HLS.types.MediaPlaylist({
      version: PLAYLIST_VERSION,
      targetDuration: this.targetDuration,
      mediaSequenceBase: this.mediaSequence,
      discontinuitySequenceBase: this.discontinuitySequence,
      endlist: this.isEnded,
      segments: this.live.map(
        (segment) =>
          new HLS.types.Segment({
            uri: segment.uri,
            duration: segment.durationSeconds,
            discontinuity: segment.discontinuity,
            programDateTime: segment.programDateTime,
            mediaSequenceNumber: segment.mediaSequenceNumber,
            discontinuitySequence: segment.discontinuitySequence,
          }),
      ),
    });
    // hls-parser prints as many decimals as the number has; the house format is always three.
    const text = HLS.stringify(playlist, {
      segmentProcessor: (lines, start, end, _segment, i) => {
        const segment = this.live[i];
        if (!segment) return;
        for (let line = start; line <= end; line += 1) {
          if (lines[line]?.startsWith('#EXTINF:')) lines[line] = `#EXTINF:${segment.durationSeconds.toFixed(3)},`;
        }
      },
    });
    return `${text}\n`;
  }

  /**
   * Drops the oldest segments while the rest still cover the window. RFC 8216 §6.2.2 also forbids
   * shrinking a live playlist below three target durations, whatever the window setting says.
   */
  private slide(): PlaylistSegment[] {
    // Whole milliseconds, so sums of decimal durations compare exactly.
    const keepMs = Math.round(Math.max(this.windowSeconds, 3 * this.targetDuration) * 1000);
    let totalMs = this.live.reduce((sum, segment) => sum + Math.round(segment.durationSeconds * 1000), 0);
    const removed: PlaylistSegment[] = [];
    for (let oldest = this.live[0]; oldest && this.live.length > 1; oldest = this.live[0]) {
      const oldestMs = Math.round(oldest.durationSeconds * 1000);
      if (totalMs - oldestMs < keepMs) break;
      this.live.shift();
      totalMs -= oldestMs;
      this.mediaSequence += 1;
      // The EXT-X-DISCONTINUITY tag leaves with its segment (§6.2.2).
      if (oldest.discontinuity) this.discontinuitySequence += 1;
      removed.push(oldest);
    }
    return removed;
  }
}
