/**
 * One track's samples waiting for a fragment, and their decode times. A sample's duration is
 * the next sample's decode time minus its own, so the newest sample stays open until its
 * successor arrives; every fragment therefore ends on a known duration, and the next fragment's
 * tfdt is this one's plus its durations, exactly. Decode times only move forward.
 */
import { AAC_SAMPLES_PER_FRAME } from '../media/aac-config.js';
import { FALLBACK_VIDEO_FRAME_MS } from '../media/segmenter.js';
import type { CmafTrack } from './cmaf-track.js';
import type { CmafSample, TrackRun } from './track-run.js';

/**
 * AAC frames whose timestamp lies within half a frame of where the previous frame ends are
 * placed there: RTMP's millisecond timestamps jitter by up to 1 ms, and durations of 1008 and
 * 1056 ticks instead of 1024 would make players splice the audio (gaps and overlaps of a few
 * samples). A real gap or overlap, beyond half a frame, is kept.
 */
const AAC_SNAP_TICKS = AAC_SAMPLES_PER_FRAME / 2;

const INITIAL_BYTES = 64 * 1024;

export class SampleQueue {
  private readonly samples: CmafSample[] = [];
  /** The newest sample has no duration yet. */
  private open = false;
  private bytes = new Uint8Array(INITIAL_BYTES);
  private byteLength = 0;
  private lastDuration = 0;

  /** `end`: decode time before which no sample may start (where the track's media so far ends). */
  constructor(
    readonly track: CmafTrack,
    private end = 0,
  ) {}

  /** Duration given to a sample that has no successor: an AAC frame, or the previous video frame's. */
  get nominalDuration(): number {
    if (this.track.kind === 'audio') return AAC_SAMPLES_PER_FRAME;
    return this.lastDuration || Math.round((FALLBACK_VIDEO_FRAME_MS * this.track.timescale) / 1000);
  }

  /** The duration most recently known, 0 before the second sample. */
  get lastKnownDuration(): number {
    return this.lastDuration;
  }

  /** The newest sample, open until the next arrives. */
  get newest(): CmafSample | undefined {
    return this.open ? this.samples[this.samples.length - 1] : undefined;
  }

  /** Samples with a duration, ready for a fragment. */
  get closedCount(): number {
    return this.samples.length - (this.open ? 1 : 0);
  }

  get pendingBytes(): number {
    return this.byteLength;
  }

  /** Where the media ends, with the open sample's duration estimated. */
  get endTime(): number {
    const newest = this.newest;
    return newest ? newest.decodeTime + this.nominalDuration : this.end;
  }

  /**
   * Adds a sample at `decodeTime` (ticks, from its timestamp) or, for audio, at the end of the
   * previous frame when that is within half a frame; never before the previous sample. The
   * composition offset stays as sent when the decode time moves, so the presentation time moves
   * with it (an offset that turned negative would make players shift the whole track). `data`
   * is copied.
   */
  add(decodeTime: number, compositionOffset: number, flags: number, data: Uint8Array): void {
    const previous = this.newest;
    const floor = previous ? previous.decodeTime + 1 : this.end;
    let time = Math.max(decodeTime, floor);
    if (this.track.kind === 'audio') {
      const expected = previous ? previous.decodeTime + AAC_SAMPLES_PER_FRAME : this.end;
      if (Math.abs(decodeTime - expected) <= AAC_SNAP_TICKS) time = expected;
    }
    if (previous) {
      previous.duration = time - previous.decodeTime;
      this.lastDuration = previous.duration;
    }
    this.samples.push({ decodeTime: time, duration: 0, size: data.length, flags, compositionOffset });
    this.append(data);
    this.open = true;
  }

  /** Ends the open sample with the nominal duration: the stream or its configuration ends here. */
  close(): void {
    const newest = this.newest;
    if (!newest) return;
    newest.duration = this.nominalDuration;
    this.end = newest.decodeTime + newest.duration;
    this.open = false;
  }

  /** How many closed samples start before `seconds`. */
  closedCountBefore(seconds: number): number {
    let count = 0;
    while (count < this.closedCount && this.samples[count]!.decodeTime / this.track.timescale < seconds) count++;
    return count;
  }

  /** The first `count` closed samples, viewing the queue's bytes: write them before `drop`. */
  run(count: number): TrackRun {
    const samples = this.samples.slice(0, count);
    const size = samples.reduce((sum, sample) => sum + sample.size, 0);
    return { trackId: this.track.id, baseDecodeTime: samples[0]?.decodeTime ?? this.end, samples, data: this.bytes.subarray(0, size) };
  }

  /** Forgets the first `count` samples (once written). */
  drop(count: number): void {
    const removed = this.samples.splice(0, count);
    const size = removed.reduce((sum, sample) => sum + sample.size, 0);
    this.bytes.copyWithin(0, size, this.byteLength);
    this.byteLength -= size;
  }

  private append(data: Uint8Array): void {
    const needed = this.byteLength + data.length;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.byteLength));
      this.bytes = grown;
    }
    this.bytes.set(data, this.byteLength);
    this.byteLength = needed;
  }
}
