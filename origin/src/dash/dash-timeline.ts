/**
 * The DASH view of a stream's finished CMAF segments: which Periods and segments the manifest
 * lists, and their times. No clock and no I/O: the packager tells it each finished segment (with
 * the wall-clock time of its start, the LL-HLS PROGRAM-DATE-TIME) and each segment that left the
 * window; the time of the manifest is an argument.
 *
 * Times: availabilityStartTime is the wall clock of the stream's first segment here, fixed from
 * then on. A new init (new tracks or encoder settings, or a publisher that came back) starts a
 * new Period at the wall clock of its first segment; within a Period the segments are placed by
 * their decode times (`S@t` = tfdt), counted from the Period start by presentationTimeOffset.
 */
import type { CmafTrack } from '../cmaf/index.js';
import { type DashTrackKind, dashInitFileName, dashMediaTemplate } from '../../../llhls-contract/src/dash-names.js';
import type { Mpd, MpdAdaptationSet, MpdPeriod } from './mpd.js';

/** One track's samples of a finished segment. */
export interface DashTrackSegment {
  trackId: number;
  /** tfdt of its first chunk, in the track's timescale. */
  baseDecodeTime: number;
  duration: number;
  sampleCount: number;
  byteLength: number;
}

export interface DashSegment {
  /** The LL-HLS media sequence number; `$Number$` counts it from the Period's first. */
  number: number;
  /** Wall clock of the segment's start. */
  programDateTime: Date;
  tracks: readonly DashTrackSegment[];
}

export interface DashTimelineSettings {
  /** MPD@minimumUpdatePeriod and minBufferTime: a new segment comes about once a target duration. */
  segmentTargetSeconds: number;
  /** MPD@timeShiftBufferDepth: the LL-HLS window, whose segments the manifest lists. */
  windowSeconds: number;
  /**
   * MPD@suggestedPresentationDelay, in target durations behind the newest segment's end. Three: a
   * segment is listed only once complete, and a player needs one in hand, one loading and one of
   * slack on a busy machine. Default 3.
   */
  presentationDelaySegments?: number;
  /** An ABR rendition's timeline: its files are named with its name (llhls-contract/src/dash-names.ts). */
  rendition?: string;
}

/** A rendition's video over some of the source's segment numbers (DashTimeline.videoOver). */
export interface DashVideoRun {
  /** The Representation as its own timeline gives it: times on its own track, names of its own Period. */
  set: MpdAdaptationSet;
  /** The media sequence number of its first segment, and that segment's start on its track. */
  firstNumber: number;
  firstStart: number;
}

interface PeriodTrack {
  track: CmafTrack;
  /** The track's decode time at the Period's start. */
  startTime: number;
  /** Measured on the first segment with this track, then kept: a Representation should not change between updates. */
  measured?: { bandwidth: number; frameRate: number | undefined };
}

interface Period {
  /** The media sequence number of its first segment, which names its inits. */
  number: number;
  startWallMs: number;
  tracks: PeriodTrack[];
  segments: DashSegment[];
}

export class DashTimeline {
  private periods: Period[] = [];
  private availabilityStartMs: number | undefined;
  private ended = false;

  constructor(private readonly settings: DashTimelineSettings) {}

  /** Nothing listed yet: there is no manifest to serve. */
  get empty(): boolean {
    return this.periods.length === 0;
  }

  /**
   * A segment is complete. `tracks` (the init's) starts a new Period with it: the stream's first
   * segment, or the first after a new init. Segments before the first Period are not listed.
   */
  addSegment(segment: DashSegment, tracks?: readonly CmafTrack[]): void {
    if (tracks) this.startPeriod(segment, tracks);
    this.periods[this.periods.length - 1]?.segments.push(segment);
  }

  /** These segments left the window; a Period with none left goes. */
  remove(numbers: readonly number[]): void {
    const gone = new Set(numbers);
    for (const period of this.periods) period.segments = period.segments.filter((segment) => !gone.has(segment.number));
    // The newest Period stays even when empty: its init is the one the next segments use.
    this.periods = this.periods.filter((period, i) => period.segments.length > 0 || i === this.periods.length - 1);
  }

  /** The stream ended: the manifest stops asking for updates. */
  end(): void {
    this.ended = true;
  }

  resume(): void {
    this.ended = false;
  }

  /** The manifest as of `now`; undefined before the first segment. */
  manifest(now: Date): Mpd | undefined {
    const ast = this.availabilityStartMs;
    const periods = this.periods.filter((period) => period.segments.length > 0);
    if (ast === undefined || periods.length === 0) return undefined;
    const { segmentTargetSeconds, windowSeconds, presentationDelaySegments = 3 } = this.settings;
    const mpd: Mpd = {
      availabilityStartTime: new Date(ast),
      publishTime: now,
      minimumUpdatePeriodSeconds: this.ended ? undefined : segmentTargetSeconds,
      timeShiftBufferDepthSeconds: windowSeconds,
      suggestedPresentationDelaySeconds: presentationDelaySegments * segmentTargetSeconds,
      minBufferTimeSeconds: segmentTargetSeconds,
      maxSegmentDurationSeconds: Math.max(segmentTargetSeconds, ...periods.flatMap(longestSegmentSeconds)),
      periods: periods.map((period) => this.period(period, ast)),
    };
    if (this.ended) mpd.mediaPresentationDurationSeconds = endSeconds(periods[periods.length - 1]!, ast);
    return mpd;
  }

  /**
   * Its video segments numbered `from` to `to`, of the newest Period that has any (after a gap
   * only the run since): what the source's manifest lists as this rendition's Representation.
   */
  videoOver(from: number, to: number): DashVideoRun | undefined {
    for (let index = this.periods.length - 1; index >= 0; index--) {
      const period = this.periods[index]!;
      const video = period.tracks.find((periodTrack) => periodTrack.track.kind === 'video');
      const segments = period.segments.filter((segment) => segment.number >= from && segment.number <= to);
      if (!video || segments.length === 0) continue;
      const set = adaptationSet({ ...period, segments }, video, this.settings.rendition);
      const first = set.segments[0];
      return first ? { set, firstNumber: period.number + set.startNumber, firstStart: first.start } : undefined;
    }
    return undefined;
  }

  private startPeriod(first: DashSegment, tracks: readonly CmafTrack[]): void {
    this.availabilityStartMs ??= first.programDateTime.getTime();
    const lead = tracks.map((track) => ({ track, run: first.tracks.find((t) => t.trackId === track.id) })).find(({ run }) => run);
    const leadSeconds = lead ? lead.run!.baseDecodeTime / lead.track.timescale : 0;
    // A track with no samples in the first segment (audio that starts late) starts with the lead track.
    const periodTracks = tracks.map((track) => ({
      track,
      startTime: first.tracks.find((t) => t.trackId === track.id)?.baseDecodeTime ?? Math.round(leadSeconds * track.timescale),
    }));
    this.periods.push({ number: first.number, startWallMs: first.programDateTime.getTime(), tracks: periodTracks, segments: [] });
  }

  private period(period: Period, ast: number): MpdPeriod {
    return {
      id: String(period.number),
      startSeconds: (period.startWallMs - ast) / 1000,
      adaptationSets: period.tracks.map((periodTrack) => adaptationSet(period, periodTrack, this.settings.rendition)),
    };
  }
}

function adaptationSet(period: Period, periodTrack: PeriodTrack, rendition: string | undefined): MpdAdaptationSet {
  const { track, startTime } = periodTrack;
  const kind: DashTrackKind = track.kind;
  const all = period.segments.flatMap((segment) => {
    const run = segment.tracks.find((t) => t.trackId === track.id);
    return run ? [{ number: segment.number, run }] : [];
  });
  // `$Number$` counts one per timeline entry: a segment without this track (an audio dropout)
  // cannot be skipped, so the track lists only the segments after its last gap.
  let from = all.length - 1;
  while (from > 0 && all[from - 1]!.number === all[from]!.number - 1) from--;
  const runs = all.slice(Math.max(0, from));
  const { bandwidth, frameRate } = measure(periodTrack, runs[0]?.run);
  const info = track.config.info;
  return {
    track:
      track.kind === 'video'
        ? { kind: 'video', codec: info.codec, width: track.config.info.width, height: track.config.info.height, frameRate }
        : { kind: 'audio', codec: info.codec, sampleRate: track.config.info.sampleRate, channels: track.config.info.channels },
    timescale: track.timescale,
    bandwidth,
    initialization: dashInitFileName(kind, period.number, rendition),
    media: dashMediaTemplate(kind, period.number, rendition),
    presentationTimeOffset: startTime,
    startNumber: (runs[0]?.number ?? period.number) - period.number,
    segments: runs.map(({ run }) => ({ start: run.baseDecodeTime, duration: run.duration })),
  };
}

/** Bandwidth (rounded up to kbit/s) and frame rate of the first segment with the track, then kept. */
function measure(periodTrack: PeriodTrack, first: DashTrackSegment | undefined): { bandwidth: number; frameRate?: number } {
  if (periodTrack.measured) return periodTrack.measured;
  if (!first) return { bandwidth: 1000 };
  const seconds = first.duration / periodTrack.track.timescale;
  const bandwidth = seconds > 0 ? Math.max(1000, Math.ceil((first.byteLength * 8) / seconds / 1000) * 1000) : 1000;
  const frameRate = periodTrack.track.kind === 'video' && seconds > 0 ? first.sampleCount / seconds : undefined;
  periodTrack.measured = { bandwidth, frameRate };
  return periodTrack.measured;
}

function longestSegmentSeconds(period: Period): number[] {
  return period.tracks.flatMap(({ track }) =>
    period.segments.flatMap((segment) => segment.tracks.filter((t) => t.trackId === track.id).map((t) => t.duration / track.timescale)),
  );
}

/** Where the Period's media ends, in seconds from availabilityStartTime: its lead track's last segment end. */
function endSeconds(period: Period, ast: number): number {
  const lead = period.tracks[0];
  const last = period.segments[period.segments.length - 1];
  const run = lead && last?.tracks.find((t) => t.trackId === lead.track.id);
  const start = (period.startWallMs - ast) / 1000;
  return run ? start + (run.baseDecodeTime + run.duration - lead.startTime) / lead.track.timescale : start;
}
