/**
 * CMAF packaging for LL-HLS and DASH: media frames in, an init segment and fragments (parts)
 * out, beside the MPEG-TS segmenter. No I/O and no clock: the caller stores and announces what
 * comes out.
 *
 * Cuts: parts end at the sample boundary nearest the part target; a segment is the parts from
 * one video keyframe (audio-only: any frame) to the first keyframe at about the segment target,
 * so a segment is its parts' bytes concatenated. Each part is one CMAF chunk per track, back to
 * back: `moof` (one `traf`) + `mdat` for video, then the same for audio. An LL-HLS part is all
 * of them (muxed init); a DASH segment of one track is that track's chunks of the segment's
 * parts, the same buffers (dash.js wants one track per file, with the track's own init). One
 * `moof` with a `traf` per track would save 100 bytes a part but could not be split that way.
 *
 * Durations: a sample lasts until the next sample of its track, so the newest sample waits for
 * its successor, and a part comes out as the lead-track frame after it arrives: the earliest
 * moment its last duration is known. Only the end of a run (flush, or a new init) has no successor: there the
 * last video frame lasts as long as the one before it (1/30 s if it is alone), an AAC frame 1024
 * samples.
 *
 * Timestamps: decode times are the frames' RTMP timestamps in each track's timescale, moved
 * only when they would break the timeline. Within a track they only move forward, and each
 * fragment's tfdt is the previous one's plus its sample durations, also across timestamp jumps
 * (a reset or leap in the publisher's timestamps), which shift every later timestamp so the
 * media continues where it was. A new init (start() again, for new encoder settings) is a
 * discontinuity for players, but its decode times still continue from the previous run.
 */
import { layoutAvcc } from '../media/annex-b.js';
import type { AvcFrame, MediaFrame } from '../media/flv-tag.js';
import { MediaFormatError } from '../media/media-format-error.js';
import { RtmpTimeline } from '../media/rtmp-timeline.js';
import { DEFAULT_MAX_SEGMENT_BYTES } from '../media/segmenter.js';
import { type CmafTrack, type CmafTracks, cmafCodecs, cmafTracksOf } from './cmaf-track.js';
import { evenPartEnd, planEvenParts, type EvenParts } from './even-parts.js';
import { writeFragment } from './fragment-writer.js';
import { writeInitSegment } from './init-segment.js';
import { SampleQueue } from './sample-queue.js';
import { NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS, type TrackRun } from './track-run.js';

export interface CmafFragmenterOptions {
  /**
   * Parts end at the sample boundary nearest this much media on the lead track (video, else
   * audio), so a part may exceed it by up to half a frame: playlists announce the longest part
   * as PART-TARGET. Default 0.2: a whole number of frames at 25, 30, 50 and 60 fps, and a
   * PART-HOLD-BACK of 3 parts (0.6 s) leaves room under a 1.5 s latency.
   */
  partTargetSeconds?: number;
  /**
   * A hard ceiling on parts, for playlists whose PART-TARGET must hold every part (LL-HLS): a
   * part also ends before the lead-track frame that would take it past this, that frame taken
   * to last as long as the one before plus a millisecond (RTMP timestamps jitter by one). It
   * then lasts between the ceiling minus a frame and the ceiling. Default: none.
   */
  maxPartSeconds?: number;
  /** A segment ends before the first keyframe nearest to or after this long. Default 2, as the TS segmenter. */
  segmentTargetSeconds?: number;
  /** A segment this long ends before the next lead-track frame, keyframe or not. Default 10 times the target. */
  maxSegmentSeconds?: number;
  /** Media held for the next part beyond this is refused (MediaFormatError). Default 64 MiB. */
  maxPendingBytes?: number;
  /**
   * Chunks within a part: once this much lead-track media is complete since the last chunk, it
   * comes out (a `chunks` event) without waiting for the part to end, so the part can be sent
   * while it is produced. Each chunk costs ~100 bytes of `moof` per track. Default: none, one
   * chunk per track per part.
   */
  chunkTargetSeconds?: number;
  /**
   * Where segments may start, for a packager that must cut where another did (an ABR rendition
   * cut where its source was): a run starts, and a segment ends before, only a lead-track
   * keyframe whose presentation time (ms, as pushed) this accepts; maxSegmentSeconds still cuts.
   * Default: every keyframe at about the segment target.
   */
  startsSegment?: (keyframePtsMs: number) => boolean;
}

export interface CmafInit {
  /** ftyp + moov with every track: EXT-X-MAP. */
  data: Uint8Array;
  tracks: readonly CmafTrack[];
  /** One init per track (the same track_ID as in `data`), in track order: DASH Initialization segments. */
  trackInits: readonly CmafTrackInit[];
  /** RFC 6381 codecs of every track, e.g. `avc1.64001f,mp4a.40.2`. */
  codecs: string;
  /** Not the stream's first init: an EXT-X-DISCONTINUITY (with the new EXT-X-MAP), a new DASH Period. */
  discontinuity: boolean;
}

export interface CmafTrackInit {
  track: CmafTrack;
  /** ftyp + moov with this track only. */
  data: Uint8Array;
}

/** One track's samples of a part: a CMAF chunk. */
export interface CmafChunk {
  trackId: number;
  /** moof (one traf) + mdat. */
  data: Uint8Array;
}

export interface CmafPartTrack {
  trackId: number;
  /** tfdt, in the track's timescale. */
  baseDecodeTime: number;
  /** Sum of the sample durations: the next part's baseDecodeTime is baseDecodeTime + duration. */
  duration: number;
  sampleCount: number;
}

export interface CmafPart {
  /**
   * Every chunk of the part, in the order they came out (those of earlier `chunks` events
   * first, then the rest): the part is their bytes back to back. Each holds one track.
   */
  chunks: readonly CmafChunk[];
  /** The first chunk's mfhd sequence number; every chunk takes the next, counting up from 1 across inits. */
  sequenceNumber: number;
  /** Starts with a keyframe (audio-only: always): EXT-X-PART INDEPENDENT=YES. */
  independent: boolean;
  /** The last part of its segment: the segment is complete, and the next part starts a new one. */
  endsSegment: boolean;
  /** The lead track's decode time at the part's start and the part's duration on it. */
  startSeconds: number;
  durationSeconds: number;
  /** One entry per track with samples in this part, in track order, summed over its chunks. */
  tracks: readonly CmafPartTrack[];
}

export type CmafEvent =
  | { kind: 'init'; init: CmafInit }
  /** The first chunks of the part in progress (chunkTargetSeconds); its `part` event lists them again. */
  | { kind: 'chunks'; chunks: readonly CmafChunk[] }
  | { kind: 'part'; part: CmafPart };

/** The part in progress, as far as its chunks have come out. */
interface PartSoFar {
  chunks: CmafChunk[];
  /** By track, in track order. */
  tracks: CmafPartTrack[];
  independent: boolean;
  firstSequenceNumber: number;
}

const NO_EVENTS: readonly CmafEvent[] = Object.freeze([]);

export class CmafFragmenter {
  private readonly partSeconds: number;
  private readonly maxPartSeconds: number;
  private readonly segmentSeconds: number;
  private readonly maxSegmentSeconds: number;
  private readonly maxPendingBytes: number;
  private readonly chunkSeconds: number;
  private readonly startsSegment: ((keyframePtsMs: number) => boolean) | undefined;
  /** The presentation time (ms, as pushed) of the lead frame the segment in progress starts with. */
  private segmentStartPtsMs: number | undefined;
  /** Video first: the order of `trak` and `traf` boxes. The first queue leads the cuts. */
  private queues: SampleQueue[] = [];
  private nalLengthSize = 4;
  /** The run's first lead-track keyframe has arrived; frames before it are dropped. */
  private started = false;
  private partStart = 0;
  private chunkStart = 0;
  private partSoFar: PartSoFar | undefined;
  private segmentStart = 0;
  /** Parts cut in the segment in progress. */
  private partsInSegment = 0;
  /** Lead-track frames of the segment in progress, the newest included. */
  private segmentLeadFrames = 0;
  /** How the segment in progress shares its frames among parts, planned from the one before. */
  private evenParts: EvenParts | undefined;
  private sequenceNumber = 0;
  private inits = 0;
  /** Added to every RTMP timestamp: moves after a timestamp jump so the timeline continues. */
  private offsetMs = 0;
  private readonly timeline = new RtmpTimeline();

  constructor(options: CmafFragmenterOptions = {}) {
    const { partTargetSeconds = 0.2, segmentTargetSeconds = 2, maxPendingBytes = DEFAULT_MAX_SEGMENT_BYTES } = options;
    if (!(partTargetSeconds > 0 && Number.isFinite(partTargetSeconds))) {
      throw new RangeError(`partTargetSeconds must be a positive number, got ${partTargetSeconds}`);
    }
    if (!(segmentTargetSeconds >= partTargetSeconds && Number.isFinite(segmentTargetSeconds))) {
      throw new RangeError(`segmentTargetSeconds must be a number >= partTargetSeconds (${partTargetSeconds}), got ${segmentTargetSeconds}`);
    }
    const { maxSegmentSeconds = 10 * segmentTargetSeconds, maxPartSeconds = Number.POSITIVE_INFINITY, chunkTargetSeconds = Number.POSITIVE_INFINITY } = options;
    if (!(chunkTargetSeconds > 0)) throw new RangeError(`chunkTargetSeconds must be a positive number, got ${chunkTargetSeconds}`);
    if (!(maxPartSeconds > 0)) throw new RangeError(`maxPartSeconds must be a positive number, got ${maxPartSeconds}`);
    if (!(maxSegmentSeconds >= segmentTargetSeconds && Number.isFinite(maxSegmentSeconds))) {
      throw new RangeError(`maxSegmentSeconds must be a number >= segmentTargetSeconds (${segmentTargetSeconds}), got ${maxSegmentSeconds}`);
    }
    if (!(maxPendingBytes >= 64 * 1024)) throw new RangeError(`maxPendingBytes must be >= 65536, got ${maxPendingBytes}`);
    this.partSeconds = partTargetSeconds;
    this.maxPartSeconds = maxPartSeconds;
    this.segmentSeconds = segmentTargetSeconds;
    this.maxSegmentSeconds = maxSegmentSeconds;
    this.maxPendingBytes = maxPendingBytes;
    this.chunkSeconds = chunkTargetSeconds;
    this.startsSegment = options.startsSegment;
  }

  /** The presentation time (ms, as pushed) of the frame the segment in progress starts with; undefined between runs. */
  get openSegmentPtsMs(): number | undefined {
    return this.started ? this.segmentStartPtsMs : undefined;
  }

  /**
   * Starts a run with these tracks: the stream's first, or new encoder settings. Ends the run in
   * progress with a final part (its segment ends there), then gives the new init segment. Frames
   * are dropped until the new run's first keyframe.
   */
  start(tracks: CmafTracks): readonly CmafEvent[] {
    const list = cmafTracksOf(tracks);
    const events: CmafEvent[] = [];
    this.endRun(events);
    const previous = this.queues;
    this.queues = list.map((track) => continuedQueue(track, previous));
    this.nalLengthSize = tracks.video?.record.nalLengthSize ?? 4;
    const data = writeInitSegment(list);
    // A single track's init is already its own.
    const trackInits = list.map((track) => ({ track, data: list.length === 1 ? data : writeInitSegment([track]) }));
    const init = { data, tracks: list, trackInits, codecs: cmafCodecs(list), discontinuity: this.inits > 0 };
    this.inits++;
    events.push({ kind: 'init', init });
    return events;
  }

  /**
   * Takes a frame whose `dtsMs` is on the extended RTMP timeline (RtmpTimeline.extend); its data
   * is copied. Frames of a track the init does not have are ignored. A part comes out when a
   * lead-track frame shows the part is complete. Throws MediaFormatError for a malformed H.264
   * frame or when more than maxPendingBytes wait for a part, before anything changes.
   */
  push(frame: MediaFrame): readonly CmafEvent[] {
    const queue = this.queues.find((q) => q.track.kind === (frame.kind === 'avc-frame' ? 'video' : 'audio'));
    if (!queue) return NO_EVENTS;
    const sync = frame.kind === 'aac-frame' || this.isSync(frame);
    const lead = this.queues[0]!;
    const ptsMs = frame.kind === 'avc-frame' ? frame.ptsMs : frame.dtsMs;
    // Until the first keyframe there is nothing a player could start from.
    if (!this.started && (queue !== lead || !sync || this.startsSegment?.(ptsMs) === false)) return NO_EVENTS;
    const pending = this.queues.reduce((sum, q) => sum + q.pendingBytes, frame.data.length);
    if (pending > this.maxPendingBytes) {
      throw new MediaFormatError(`${pending} bytes of media wait for a CMAF part, more than ${this.maxPendingBytes}: the ${lead.track.kind} track is not advancing`);
    }
    if (this.timeline.jumped(queue.track.kind, frame.dtsMs)) this.continueTimelineAt(frame.dtsMs);
    const decodeTime = this.ticks(frame.dtsMs, queue);
    const compositionOffset = frame.kind === 'avc-frame' ? this.ticks(frame.ptsMs, queue) - decodeTime : 0;
    queue.add(decodeTime, compositionOffset, sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, frame.data);
    if (!this.started) {
      this.started = true;
      this.partStart = this.chunkStart = this.segmentStart = queue.newest!.decodeTime;
      this.segmentLeadFrames = 1;
      this.segmentStartPtsMs = ptsMs;
      return NO_EVENTS;
    }
    if (queue !== lead) return NO_EVENTS;
    return this.cutBeforeNewest(lead, sync, ptsMs);
  }

  /**
   * Ends the part and segment in progress (on unpublish): the last sample of each track gets
   * the nominal duration (an AAC frame, the previous video frame's). Pushing afterwards starts
   * a new segment at the next keyframe.
   */
  flush(): readonly CmafEvent[] {
    const events: CmafEvent[] = [];
    this.endRun(events);
    return events;
  }

  /** The publisher's keyframe flag, or an IDR it forgot to flag. Validates the NAL lengths. */
  private isSync(frame: AvcFrame): boolean {
    const { hasIdr } = layoutAvcc(frame.data, this.nalLengthSize);
    return frame.keyframe || hasIdr;
  }

  private ticks(ms: number, queue: SampleQueue): number {
    return Math.round(((ms + this.offsetMs) * queue.track.timescale) / 1000);
  }

  /** After a jump to `dtsMs`: timestamps from here on continue where the media so far ends. */
  private continueTimelineAt(dtsMs: number): void {
    const endSeconds = Math.max(...this.queues.map((q) => q.endTime / q.track.timescale));
    // A microsecond of slack keeps float error from adding a millisecond.
    this.offsetMs = Math.ceil(endSeconds * 1000 - 1e-3) - dtsMs;
  }

  /**
   * After a lead-track sample: cuts before it when it starts a segment (a keyframe at about
   * the segment target, or any sample at the maximum), when the part is as close to its
   * target as it will get, or when the sample would take it past maxPartSeconds, taking the
   * sample to last as long as the previous one.
   */
  private cutBeforeNewest(lead: SampleQueue, sync: boolean, ptsMs: number): readonly CmafEvent[] {
    const cutTime = lead.newest!.decodeTime;
    const timescale = lead.track.timescale;
    const halfFrame = lead.lastKnownDuration / 2;
    const segment = cutTime - this.segmentStart;
    const keyframeStarts = sync && (this.startsSegment ? this.startsSegment(ptsMs) : (segment + halfFrame) / timescale >= this.segmentSeconds);
    const endsSegment = keyframeStarts || segment / timescale >= this.maxSegmentSeconds;
    const part = cutTime - this.partStart;
    const plannedEnd = this.evenParts && evenPartEnd(this.evenParts, this.partsInSegment + 1);
    const nearTarget = plannedEnd !== undefined ? segment + halfFrame >= plannedEnd : (part + halfFrame) / timescale >= this.partSeconds;
    const nextWouldOverrun = (part + lead.lastKnownDuration + timescale / 1000) / timescale > this.maxPartSeconds;
    this.segmentLeadFrames++;
    if (endsSegment) {
      // A segment cut at a keyframe plans the next one's parts; one cut at the maximum has no rhythm to follow.
      const atKeyframe = keyframeStarts;
      this.segmentStartPtsMs = ptsMs;
      const frames = this.segmentLeadFrames - 1;
      this.evenParts = atKeyframe ? planEvenParts(frames, segment / frames, this.maxPartSeconds * timescale, timescale / 1000) : undefined;
      this.segmentLeadFrames = 1;
    }
    const endsPart = endsSegment || nearTarget || nextWouldOverrun;
    const chunkDue = (cutTime - this.chunkStart + halfFrame) / timescale >= this.chunkSeconds;
    if (!endsPart && !chunkDue) return NO_EVENTS;
    const cutSeconds = cutTime / timescale;
    // Other tracks give the samples that start before the cut; their newest waits for its duration.
    const counts = this.queues.map((q) => (q === lead ? q.closedCount : q.closedCountBefore(cutSeconds)));
    if (endsPart) return [this.part(counts, endsSegment)];
    return [{ kind: 'chunks', chunks: this.writeChunks(counts) }];
  }

  /** Ends the run: every open sample gets its nominal duration and goes into a last part. */
  private endRun(events: CmafEvent[]): void {
    if (!this.started) return;
    for (const queue of this.queues) queue.close();
    events.push(this.part(this.queues.map((q) => q.closedCount), true));
    this.started = false;
    this.evenParts = undefined;
  }

  /** Writes the first `counts[i]` samples of each queue as the part's last chunks, and the part; the lead's count is never 0. */
  private part(counts: number[], endsSegment: boolean): CmafEvent {
    this.writeChunks(counts);
    const { chunks, tracks, independent, firstSequenceNumber } = this.partSoFar!;
    this.partSoFar = undefined;
    const leadTrack = tracks[0]!;
    const timescale = this.queues[0]!.track.timescale;
    this.partStart = leadTrack.baseDecodeTime + leadTrack.duration;
    if (endsSegment) this.segmentStart = this.partStart;
    this.partsInSegment = endsSegment ? 0 : this.partsInSegment + 1;
    const part: CmafPart = {
      chunks,
      sequenceNumber: firstSequenceNumber,
      independent,
      endsSegment,
      startSeconds: leadTrack.baseDecodeTime / timescale,
      durationSeconds: leadTrack.duration / timescale,
      tracks,
    };
    return { kind: 'part', part };
  }

  /**
   * Writes the first `counts[i]` samples of each queue as a chunk each (none for a count of 0)
   * and adds them to the part in progress; the lead's count is never 0.
   */
  private writeChunks(counts: number[]): CmafChunk[] {
    const runs: TrackRun[] = [];
    this.queues.forEach((queue, i) => {
      if (counts[i]! > 0) runs.push(queue.run(counts[i]!));
    });
    const chunks = runs.map((run) => ({ trackId: run.trackId, data: writeFragment(++this.sequenceNumber, [run]) }));
    const so = (this.partSoFar ??= {
      chunks: [],
      tracks: [],
      independent: runs[0]!.samples[0]!.flags === SYNC_SAMPLE_FLAGS,
      firstSequenceNumber: this.sequenceNumber - chunks.length + 1,
    });
    so.chunks.push(...chunks);
    for (const run of runs) {
      const duration = run.samples.reduce((sum, sample) => sum + sample.duration, 0);
      const known = so.tracks.find((track) => track.trackId === run.trackId);
      if (known) {
        known.duration += duration;
        known.sampleCount += run.samples.length;
      } else {
        so.tracks.push({ trackId: run.trackId, baseDecodeTime: run.baseDecodeTime, duration, sampleCount: run.samples.length });
      }
    }
    // Track order: a track whose first samples came in a later chunk than another's still sorts by queue.
    so.tracks.sort((a, b) => this.trackIndex(a.trackId) - this.trackIndex(b.trackId));
    this.queues.forEach((queue, i) => queue.drop(counts[i]!));
    const lead = runs[0]!;
    this.chunkStart = lead.baseDecodeTime + lead.samples.reduce((sum, sample) => sum + sample.duration, 0);
    return chunks;
  }

  private trackIndex(trackId: number): number {
    return this.queues.findIndex((queue) => queue.track.id === trackId);
  }
}

/** A queue for `track` that continues where the same kind of track ended in the previous run, or where the media ended. */
function continuedQueue(track: CmafTrack, previous: readonly SampleQueue[]): SampleQueue {
  const same = previous.find((q) => q.track.kind === track.kind);
  if (same?.track.timescale === track.timescale) return new SampleQueue(track, same.endTime);
  const endSeconds = same ? same.endTime / same.track.timescale : Math.max(0, ...previous.map((q) => q.endTime / q.track.timescale));
  return new SampleQueue(track, Math.ceil(endSeconds * track.timescale));
}
