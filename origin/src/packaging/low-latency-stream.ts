import { dashInitFileName, dashSegmentFileName } from '../../../llhls-contract/src/dash-names.js';
import { CmafFragmenter, type CmafEvent, type CmafInit, type CmafPart, type CmafTrack } from '../cmaf/index.js';
import { DashTimeline, type DashTrackSegment } from '../dash/dash-timeline.js';
import { renderMpd } from '../dash/mpd.js';
import { renditionLowLatencyNaming } from '../../../llhls-contract/src/llhls-names.js';
import { withRenditions, type DashRendition } from '../dash/dash-renditions.js';
import {
  blockingTimeoutMs,
  LowLatencyPlaylist,
  ReloadWaiters,
  type FinishedSegment,
  type SegmentEnd,
} from '../llhls/index.js';
import type { FrameStageConsumer, StageEvent } from '../media/frame-stage.js';
import { scheduleUnrefTimer, type CancelTimer, type ScheduleTimer } from '../schedule-timer.js';
import { GrowingPart, type PartProgress } from './growing-part.js';
import type { SegmentSpill } from './segment-spill.js';
import { SpilledSegments, type SpilledFile } from './spilled-segments.js';
import type { SegmentSettings } from './segment-settings.js';

export interface LowLatencyStreamOptions {
  /** HLS_PART_SECONDS: EXT-X-PART-INF:PART-TARGET, and the ceiling of every part the fragmenter cuts. */
  partTargetSeconds: number;
  segments: SegmentSettings;
  /** HLS_LOW_LATENCY_WINDOW_SECONDS: media the playlist lists. */
  windowSeconds: number;
  /** How long a segment and its parts stay downloadable after leaving the playlist (LowLatencySettings.graceSeconds). */
  graceSeconds: number;
  /** The first segment's media sequence number: the clock in milliseconds, as the MPEG-TS writer's. */
  firstMediaSequence: number;
  /** Runs the deletions of files that left the playlist. */
  schedule: ScheduleTimer;
  /** Runs the deadlines of blocked requests (playlist reloads, the hinted part). Default: Node's timers, unref'd. */
  reloadSchedule?: ScheduleTimer;
  /** The wall clock, for EXT-X-PROGRAM-DATE-TIME. Default Date.now. */
  now?: () => number;
  /** An ABR rendition's output (`360p`): its LL-HLS and DASH files are named with it. Default: the source's. */
  rendition?: string;
  /** Where its segments may start (an ABR rendition's: where the source's did); see CmafFragmenterOptions. */
  startsSegment?: (keyframePtsMs: number) => boolean;
  /**
   * The date another output gave segment `n` (an ABR rendition's: the source's), so players line
   * the variants up by wall clock; undefined when it has none, then the own clock dates it.
   */
  segmentDates?: (mediaSequenceNumber: number) => Date | undefined;
  /**
   * Where finished segments go (SpillFolder: the stream's HLS folder), to be served from there
   * with their parts and DASH track segments. Without it every file stays in memory until it is deleted.
   */
  spill?: SegmentSpill;
  /**
   * A spill write failed: the segment stays in memory. Told once, not for every segment of a
   * full disk; told again after a write succeeded.
   */
  onSpillError?: (error: unknown) => void;
}

/** Told when a segment starts: the presentation time (ms) of its first frame and its media sequence number. */
export type SegmentStartObserver = (keyframePtsMs: number, mediaSequenceNumber: number) => void;

/**
 * An ABR stream's LL variants, kept with its source's output so the HTTP layer finds them under
 * the stream's name (see abr/low-latency-ladder.ts).
 */
export interface LowLatencyVariants {
  /** `ll.m3u8`'s text; undefined until the first one is written. */
  multivariantPlaylist(): string | undefined;
  /** A rendition's output by its name (`360p`). */
  rendition(name: string): LowLatencyStream | undefined;
  /** The renditions' DASH timelines, listed in the source's manifest. */
  dashRenditions(): DashRendition[];
  close(): void;
}

/**
 * Chunks a part is sent in while it is made (CmafFragmenterOptions.chunkTargetSeconds): three,
 * about a tenth of a second each at the default part target. A player reading the hinted part
 * progressively gets its first frames a third of a part after they arrive instead of a whole
 * part; each chunk costs ~100 bytes of `moof` a track, 0.6 % of a 2.5 Mb/s stream.
 */
const CHUNKS_PER_PART = 3;

/** What a request following the hinted part hears (LowLatencyStream.followHintedPart). */
export type HintedPartFollower = (progress: PartProgress | { kind: 'timed-out' }) => void;

/**
 * The LL-HLS output of one stream, held in memory at the live edge: the front stage's frames go
 * through the CMAF fragmenter, each part and whole segment is stored under the name the playlist
 * gives it and only then listed, blocked playlist requests are released after every change, and
 * files that left the playlist are deleted after the grace period.
 *
 * Memory rather than disk at the live edge: a part is a few tens of kilobytes that is read
 * within a second of being made, three times a second per stream. On disk that is a write, a
 * rename and a playlist rewrite per part, and a blocked request would still need telling in
 * memory when its part exists. A whole segment is its parts' buffers, not a copy.
 *
 * Disk behind it: the playlist keeps whole segments for its window and serves them for the grace
 * period after, 24 + 26 s: 16 MB at 2.6 Mb/s if all of it stayed in memory. So a segment is
 * written to the spill as soon as it is finished (one asynchronous write of its chunks, the
 * buffers it already is) and, once written, it, its parts and its DASH track segments are served
 * as byte ranges of that one file (SpilledSegments), the page cache keeping the newest ones hot
 * as it does for nginx-rtmp's files. A stream then holds the segment in progress, about 0.7 MB
 * at 2.6 Mb/s, and a finished one for the milliseconds its write takes. A failed write keeps the
 * segment in memory, as before; the grace deletion removes the file.
 *
 * Every buffer is bounded: the fragmenter refuses more than HLS_MAX_SEGMENT_BYTES waiting for a
 * part, the playlist holds the window, deletions follow the grace period, and init sections (a
 * few hundred bytes, always in memory) go with the last segment that needs them.
 *
 * DASH (`index.mpd`) comes from the same chunks: a finished segment is also stored per track
 * (`v-<msn>.m4s`, `a-<msn>.m4s`) as that track's chunks, the same buffers, and the per-track
 * inits beside the muxed one; they are listed and deleted with the LL-HLS segment, so DASH costs
 * the arrays that point at the chunks and the per-track inits (a few hundred bytes).
 */
export class LowLatencyStream implements FrameStageConsumer {
  readonly playlist: LowLatencyPlaylist;
  readonly waiters: ReloadWaiters;
  private readonly fragmenter: CmafFragmenter;
  private readonly files = new Map<string, readonly Uint8Array[]>();
  /** Finished segments on disk (or being written there); undefined without a spill. */
  private readonly onDisk: SpilledSegments | undefined;
  private readonly deletions = new Set<CancelTimer>();
  /** How many finished segments still stored use each init section. */
  private readonly initUsers = new Map<string, number>();
  private readonly now: () => number;
  private readonly reloadSchedule: ScheduleTimer;
  /** The init of the run in progress, stored with the first part that uses it. */
  private pendingInit: CmafInit | undefined;
  /** The chunks of the segment in progress: the whole segment is them, back to back. */
  private segmentParts: Uint8Array[] = [];
  /** The segment in progress per track, for DASH. */
  private segmentTracks = new Map<number, { track: CmafTrack; chunks: Uint8Array[]; run: DashTrackSegment }>();
  /** The tracks of the init in use. */
  private tracks: readonly CmafTrack[] = [];
  /** The init the segment in progress starts a DASH Period with. */
  private segmentInit: CmafInit | undefined;
  /** The DASH inits stored with each LL-HLS init section, deleted with it. */
  private readonly dashInits = new Map<string, string[]>();
  /** The DASH segments stored with each LL-HLS segment (by media sequence number), deleted with it. */
  private readonly dashSegments = new Map<number, string[]>();
  /** The DASH Period of the init in use: the media sequence number it starts with. */
  private period = 0;
  readonly dash: DashTimeline;
  /** Ties the run's media time to the wall clock, for program dates. */
  private clock: { wallMs: number; mediaSeconds: number } | undefined;
  /** The hinted part as it is made, and the requests following it; made when first needed. */
  private growing: GrowingPart | undefined;
  /** Another origin took the stream over and nothing fed it since: the hinted part will not be made here. */
  private handedOver = false;
  private closed = false;
  /** Told where each segment starts (an ABR ladder cuts its renditions' there). */
  onSegmentStarted: SegmentStartObserver | undefined;
  private abrVariants: LowLatencyVariants | undefined;

  constructor(private readonly options: LowLatencyStreamOptions) {
    const { partTargetSeconds, segments } = options;
    this.fragmenter = new CmafFragmenter({
      partTargetSeconds,
      maxPartSeconds: partTargetSeconds,
      segmentTargetSeconds: segments.targetDurationSeconds,
      maxSegmentSeconds: segments.maxDurationSeconds,
      maxPendingBytes: segments.maxSegmentBytes,
      chunkTargetSeconds: partTargetSeconds / CHUNKS_PER_PART,
      ...(options.startsSegment ? { startsSegment: options.startsSegment } : {}),
    });
    this.playlist = new LowLatencyPlaylist({
      targetDurationSeconds: Math.ceil(segments.targetDurationSeconds),
      partTargetSeconds,
      windowSeconds: options.windowSeconds,
      firstMediaSequence: options.firstMediaSequence,
      ...(options.rendition ? { naming: renditionLowLatencyNaming(options.rendition) } : {}),
    });
    this.reloadSchedule = options.reloadSchedule ?? scheduleUnrefTimer;
    this.waiters = new ReloadWaiters(this.reloadSchedule);
    this.now = options.now ?? Date.now;
    this.onDisk = options.spill && new SpilledSegments(options.spill, options.onSpillError);
    this.dash = new DashTimeline({
      segmentTargetSeconds: segments.targetDurationSeconds,
      windowSeconds: options.windowSeconds,
      ...(options.rendition ? { rendition: options.rendition } : {}),
    });
  }

  /** EXT-X-PROGRAM-DATE-TIME of segment `mediaSequenceNumber` (finished or in progress); undefined when not listed. */
  programDateTimeOf(mediaSequenceNumber: number): Date | undefined {
    const inProgress = this.playlist.segmentInProgress;
    if (inProgress?.mediaSequenceNumber === mediaSequenceNumber) return inProgress.programDateTime;
    return this.playlist.segments[mediaSequenceNumber - this.playlist.mediaSequence]?.programDateTime;
  }

  /** Its ABR variants while its stream has a ladder; the ladder attaches them (undefined: detach). */
  get variants(): LowLatencyVariants | undefined {
    return this.abrVariants;
  }

  attachVariants(variants: LowLatencyVariants | undefined): void {
    if (this.abrVariants !== variants) this.abrVariants?.close();
    this.abrVariants = this.closed ? undefined : variants;
  }

  /** A segment is open: the next keyframe it is cut at starts the one after it. */
  get segmentOpen(): boolean {
    return this.fragmenter.openSegmentPtsMs !== undefined;
  }

  /** The DASH manifest as of now; undefined before the first segment is complete. */
  dashManifest(): string | undefined {
    const mpd = this.dash.manifest(new Date(this.now()));
    return mpd && renderMpd(withRenditions(mpd, this.abrVariants?.dashRenditions() ?? []));
  }

  /** A file held in memory (init section, part or segment) by its name in the playlist, as buffers to send back to back. */
  file(name: string): readonly Uint8Array[] | undefined {
    return this.files.get(name);
  }

  /** Where a finished segment, or one of its parts or DASH track segments, is on disk once written there; undefined while it is in memory. */
  spilledFile(name: string): SpilledFile | undefined {
    return this.onDisk?.find(name);
  }

  /**
   * Follows the hinted part `uri` as it is made: its chunks so far at once, the rest as they
   * come, then `complete` (it is stored and listed) or `dropped`; or `timed-out` when no chunk
   * came within three target durations (RFC 8216bis 6.2.5.2's bound for blocked requests).
   * Undefined when `uri` is not the part the playlist hints. Returns the unfollow.
   */
  followHintedPart(uri: string, follower: HintedPartFollower): (() => void) | undefined {
    if (this.handedOver) return undefined;
    const growing = this.hintedPart();
    if (growing?.uri !== uri) return undefined;
    let cancelDeadline: CancelTimer | undefined;
    const unfollow = growing.follow((progress) => {
      cancelDeadline?.();
      cancelDeadline = undefined;
      follower(progress);
    });
    if (growing.chunkCount === 0) {
      cancelDeadline = this.reloadSchedule(blockingTimeoutMs(this.playlist), () => {
        unfollow();
        follower({ kind: 'timed-out' });
      });
    }
    return () => {
      cancelDeadline?.();
      unfollow();
    };
  }

  /** Requests following the hinted part. */
  get partFollowerCount(): number {
    return this.growing?.followerCount ?? 0;
  }

  /** Throws MediaFormatError for media the fragmenter refuses (see CmafFragmenter.push). */
  take(events: readonly StageEvent[]): void {
    for (const event of events) {
      if (event.kind === 'tracks') {
        this.handle(this.fragmenter.start(event.tracks));
        continue;
      }
      const before = this.fragmenter.openSegmentPtsMs;
      this.handle(this.fragmenter.push(event.frame));
      const after = this.fragmenter.openSegmentPtsMs;
      // After the part that ended the previous segment was listed: the next number is this segment's.
      if (after !== undefined && after !== before) this.onSegmentStarted?.(after, this.playlist.nextMediaSequence);
    }
  }

  /** The source ended or gave way to another: the part and segment in progress are finished. */
  flush(): void {
    this.handle(this.fragmenter.flush());
  }

  /** Nothing feeds the stream any more: the playlist gets ENDLIST, and every blocked request its answer. */
  end(): void {
    this.flush();
    this.afterSegmentEnd(this.playlist.end());
    this.dash.end();
    // An ended playlist hints nothing: a request that followed the hint gets a 404.
    this.dropHintedPart();
    this.waiters.release(this.playlist);
  }

  /** A publisher starts the stream again: ENDLIST goes, and its first segment is a discontinuity. */
  resume(): void {
    if (this.playlist.ended) this.afterSegmentEnd(this.playlist.resume());
    this.dash.resume();
  }

  /**
   * Another origin took the stream over: the part in progress is dropped and the playlist left
   * without ENDLIST, as the MPEG-TS one (StreamPackager.handOver).
   */
  handOver(): void {
    this.fragmenter.flush();
    this.pendingInit = undefined;
    this.segmentTracks.clear();
    this.segmentInit = undefined;
    this.handedOver = true;
    this.dropHintedPart();
  }

  /** The stream is gone: blocked requests are answered as for a missing playlist, files and timers dropped. */
  close(): void {
    this.closed = true;
    this.attachVariants(undefined);
    this.dropHintedPart();
    this.waiters.close();
    for (const cancel of this.deletions) cancel();
    this.deletions.clear();
    this.files.clear();
    // Files still being written are removed when their write ends.
    this.onDisk?.clear();
    this.dashInits.clear();
    this.dashSegments.clear();
  }

  private handle(events: readonly CmafEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      if (event.kind === 'init') {
        this.pendingInit = event.init;
        this.clock = undefined;
      } else if (event.kind === 'chunks') {
        this.handedOver = false;
        this.hintedPart()?.append(event.chunks.map((chunk) => chunk.data));
      } else {
        this.handedOver = false;
        this.addPart(event.part);
      }
    }
  }

  /** Stores the part (and the init and segment it completes), then lists it and releases the requests waiting for it. */
  private addPart(part: CmafPart): void {
    // Media after the end (a source the registry did not restart through LowLatencyStreams) starts it again.
    if (this.playlist.ended) this.resume();
    const init = this.playlist.openPartCount === 0 ? this.pendingInit : undefined;
    if (init) {
      const msn = this.playlist.nextMediaSequence;
      this.files.set(this.playlist.nextInitSectionUri, [init.data]);
      const dashInits = init.trackInits.map(({ track, data }) => {
        const name = dashInitFileName(track.kind, msn, this.options.rendition);
        this.files.set(name, [data]);
        return name;
      });
      this.dashInits.set(this.playlist.nextInitSectionUri, dashInits);
      this.pendingInit = undefined;
      this.segmentInit = init;
      this.tracks = init.tracks;
      this.period = msn;
    }
    const sharedDate = this.playlist.openPartCount === 0 ? this.options.segmentDates?.(this.playlist.nextMediaSequence) : undefined;
    if (sharedDate) this.clock = { wallMs: sharedDate.getTime(), mediaSeconds: part.startSeconds };
    // A part comes out once the frame after it arrives: it started about its duration ago.
    this.clock ??= { wallMs: this.now() - part.durationSeconds * 1000, mediaSeconds: part.startSeconds };
    const programDateTime = new Date(this.clock.wallMs + (part.startSeconds - this.clock.mediaSeconds) * 1000);
    // The playlist is live here, so it hints the next part: this one.
    const chunks = part.chunks.map((chunk) => chunk.data);
    const growing = this.hintedPart()!;
    growing.append(chunks.slice(growing.chunkCount));
    this.files.set(growing.uri, chunks);
    this.segmentParts.push(...chunks);
    this.addToTracks(part);
    this.playlist.addPart({
      durationSeconds: part.durationSeconds,
      independent: part.independent,
      programDateTime,
      discontinuity: init?.discontinuity ?? false,
      newInitSection: init !== undefined,
    });
    if (part.endsSegment) {
      this.files.set(this.playlist.segmentUri, this.segmentParts);
      this.storeDashSegment();
      this.afterSegmentEnd(this.playlist.endSegment());
    }
    this.growing = undefined;
    growing.end('complete');
    this.waiters.release(this.playlist);
  }

  /** A part's chunks, by track, for the DASH segments: a track's chunks may be several, its run is their sum. */
  private addToTracks(part: CmafPart): void {
    for (const run of part.tracks) {
      const chunks = part.chunks.filter((chunk) => chunk.trackId === run.trackId).map((chunk) => chunk.data);
      const byteLength = chunks.reduce((sum, data) => sum + data.length, 0);
      const known = this.segmentTracks.get(run.trackId);
      if (known) {
        known.chunks.push(...chunks);
        known.run.duration += run.duration;
        known.run.sampleCount += run.sampleCount;
        known.run.byteLength += byteLength;
        continue;
      }
      const track = this.tracks.find((t) => t.id === run.trackId);
      if (!track) continue;
      this.segmentTracks.set(run.trackId, { track, chunks, run: { ...run, byteLength } });
    }
  }

  /** The segment in progress is complete: each track's chunks become its DASH segment, and the manifest lists it. */
  private storeDashSegment(): void {
    const segment = this.playlist.segmentInProgress!;
    const number = segment.mediaSequenceNumber;
    const names = [...this.segmentTracks.values()].map(({ track, chunks }) => {
      const name = dashSegmentFileName(track.kind, this.period, number, this.options.rendition);
      this.files.set(name, chunks);
      return name;
    });
    this.dashSegments.set(number, names);
    const tracks = [...this.segmentTracks.values()].map((entry) => entry.run);
    this.dash.addSegment({ number, programDateTime: segment.programDateTime, tracks }, this.segmentInit?.tracks);
    this.segmentTracks.clear();
    this.segmentInit = undefined;
  }

  /** The part the playlist hints, as far as it is made; undefined when the playlist hints none (it ended). */
  private hintedPart(): GrowingPart | undefined {
    const hint = this.playlist.preloadHint;
    if (!hint) return undefined;
    if (this.growing?.uri !== hint.uri) {
      this.growing?.end('dropped');
      this.growing = new GrowingPart(hint.uri);
    }
    return this.growing;
  }

  private dropHintedPart(): void {
    this.growing?.end('dropped');
    this.growing = undefined;
  }

  private afterSegmentEnd(end: SegmentEnd | undefined): void {
    if (!end) return;
    this.segmentParts = [];
    const init = end.segment.initSectionUri;
    this.initUsers.set(init, (this.initUsers.get(init) ?? 0) + 1);
    if (end.removed.length > 0) {
      this.dash.remove(end.removed.map((segment) => segment.mediaSequenceNumber));
      this.deleteLater(end.removed);
    }
    this.spill(end.segment);
  }

  /** Writes the finished segment to disk, if there is a spill; its files leave memory once it is written. */
  private spill(segment: FinishedSegment): void {
    const chunks = this.files.get(segment.uri);
    if (!this.onDisk || !chunks) return;
    const views = new Map<string, readonly Uint8Array[]>();
    for (const name of [...segment.parts.map((part) => part.uri), ...(this.dashSegments.get(segment.mediaSequenceNumber) ?? [])]) {
      const buffers = this.files.get(name);
      if (buffers) views.set(name, buffers);
    }
    this.onDisk.write(segment.uri, chunks, views, () => {
      this.files.delete(segment.uri);
      for (const name of views.keys()) this.files.delete(name);
    });
  }

  /** Segments that left the playlist stay downloadable, with their parts, for the grace period. */
  private deleteLater(segments: readonly FinishedSegment[]): void {
    const cancel = this.options.schedule(this.options.graceSeconds * 1000, () => {
      this.deletions.delete(cancel);
      for (const segment of segments) {
        for (const name of [segment.uri, ...(this.dashSegments.get(segment.mediaSequenceNumber) ?? [])]) this.files.delete(name);
        for (const part of segment.parts) this.files.delete(part.uri);
        this.onDisk?.delete(segment.uri);
        this.dashSegments.delete(segment.mediaSequenceNumber);
        this.releaseInit(segment.initSectionUri);
      }
    });
    this.deletions.add(cancel);
  }

  /** An init section goes with the last segment that needs it, unless the segment in progress does. */
  private releaseInit(uri: string): void {
    const users = (this.initUsers.get(uri) ?? 1) - 1;
    if (users > 0) {
      this.initUsers.set(uri, users);
      return;
    }
    this.initUsers.delete(uri);
    if (this.playlist.segmentInProgress?.initSectionUri === uri) return;
    this.files.delete(uri);
    for (const name of this.dashInits.get(uri) ?? []) this.files.delete(name);
    this.dashInits.delete(uri);
  }
}
