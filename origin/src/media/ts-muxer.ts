/**
 * MPEG-TS muxer for one program with H.264 video and/or AAC (ADTS) audio. It turns elementary
 * stream access units into PES packets split over TS packets, written straight into one segment
 * buffer that is reused from segment to segment. Segmenting policy lives in the caller.
 */
import { pesHeaderSize, STREAM_ID_AUDIO, STREAM_ID_VIDEO, wrapTimestamp, writePesHeader } from './pes.js';
import { STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, writePatPacket, writePmtPacket, type PmtStream } from './psi.js';
import { NO_PCR, payloadCapacity, TS_PACKET_SIZE, TS_PAYLOAD_SIZE, writePacketPrefix } from './ts-packet.js';

// The PIDs nginx-rtmp and ffmpeg use, so the output looks familiar in analysers.
export const PMT_PID = 0x1000;
export const VIDEO_PID = 0x100;
export const AUDIO_PID = 0x101;

/**
 * Added to every PTS and DTS (1.4 s, ffmpeg's choice). RTMP timestamps start at 0, but the PCR
 * runs PCR_DELAY behind the DTS and a B-frame stream may carry negative composition times:
 * both would be negative near the start without it, and 33-bit fields cannot hold that.
 */
export const TIMESTAMP_OFFSET_90KHZ = 126_000;

/**
 * The PCR runs 0.7 s behind the DTS (the T-STD decoder buffer delay ffmpeg and nginx-rtmp use),
 * so by the clock every access unit arrives before its decode time.
 */
export const PCR_DELAY_90KHZ = 63_000;

/** H.222.0 asks for a PCR at least every 100 ms on the PCR PID. */
export const PCR_INTERVAL_90KHZ = 9_000;

/** Starting size of the segment buffer; it doubles until it fits the largest segment seen. */
const INITIAL_BUFFER_SIZE = 256 * 1024;

/**
 * Segment buffers given back once their segment is on disk, so a live stream cycles through two
 * or three buffers instead of allocating one per segment: that churn of memory outside the JS
 * heap is what drives V8 into full collections, which stall every stream of the process.
 */
export class SegmentBufferPool {
  private readonly spare: Uint8Array[] = [];

  constructor(private readonly maxSpare = 2) {}

  take(minBytes: number): Uint8Array {
    const index = this.spare.findIndex((buffer) => buffer.byteLength >= minBytes);
    if (index >= 0) return this.spare.splice(index, 1)[0]!;
    return new Uint8Array(minBytes);
  }

  give(buffer: Uint8Array): void {
    if (this.spare.length < this.maxSpare) this.spare.push(buffer);
  }
}

export interface MuxerTracks {
  video: boolean;
  audio: boolean;
}

export class TsMuxer {
  private buffer: Uint8Array;
  private length = 0;
  private patCounter = 0;
  private pmtCounter = 0;
  private videoCounter = 0;
  private audioCounter = 0;
  private lastPcrDts = Number.NaN;
  private readonly pcrPid: number;
  private readonly streams: PmtStream[] = [];

  constructor(tracks: MuxerTracks, private readonly pool = new SegmentBufferPool()) {
    if (!tracks.video && !tracks.audio) throw new RangeError('a TS muxer needs a video or an audio track');
    this.buffer = pool.take(INITIAL_BUFFER_SIZE);
    if (tracks.video) this.streams.push({ streamType: STREAM_TYPE_H264, pid: VIDEO_PID });
    if (tracks.audio) this.streams.push({ streamType: STREAM_TYPE_AAC_ADTS, pid: AUDIO_PID });
    // The PCR rides on video when there is video: its keyframes make natural clock points.
    this.pcrPid = tracks.video ? VIDEO_PID : AUDIO_PID;
  }

  /** Bytes of the segment in progress. */
  get segmentBytes(): number {
    return this.length;
  }

  /** PAT and PMT open every segment, so each one decodes on its own. */
  beginSegment(): void {
    this.reserve(2 * TS_PACKET_SIZE);
    writePatPacket(this.buffer, this.length, this.patCounter, PMT_PID);
    this.patCounter = (this.patCounter + 1) & 0x0f;
    writePmtPacket(this.buffer, this.length + TS_PACKET_SIZE, this.pmtCounter, PMT_PID, this.pcrPid, this.streams);
    this.pmtCounter = (this.pmtCounter + 1) & 0x0f;
    this.length += 2 * TS_PACKET_SIZE;
    // The first PES on the PCR PID in every segment carries a PCR.
    this.lastPcrDts = Number.NaN;
  }

  /** One Annex B access unit; random access points (IDR) get random_access_indicator and a PCR. */
  writeVideo(accessUnit: Uint8Array, dtsMs: number, ptsMs: number, randomAccess: boolean): void {
    const dts = toTicks(dtsMs);
    const pcr = this.pcrFor(VIDEO_PID, dts, randomAccess);
    this.videoCounter = this.writePes(VIDEO_PID, this.videoCounter, STREAM_ID_VIDEO, accessUnit, toTicks(ptsMs), dts, pcr, randomAccess);
  }

  /** One or more ADTS frames; `ptsMs` is the first frame's. */
  writeAudio(adtsFrames: Uint8Array, ptsMs: number): void {
    const pts = toTicks(ptsMs);
    const pcr = this.pcrFor(AUDIO_PID, pts, false);
    // Every AAC frame decodes on its own, so every audio PES is a random access point (as ffmpeg flags it).
    this.audioCounter = this.writePes(AUDIO_PID, this.audioCounter, STREAM_ID_AUDIO, adtsFrames, pts, pts, pcr, true);
  }

  /**
   * Returns the segment's bytes (a view of a buffer the muxer no longer writes to; hand it back to
   * the pool once written) and starts the next segment in a buffer of the same size.
   */
  endSegment(): Uint8Array {
    const segment = this.buffer.subarray(0, this.length);
    this.buffer = this.pool.take(this.buffer.byteLength);
    this.length = 0;
    return segment;
  }

  private pcrFor(pid: number, dts: number, randomAccess: boolean): number {
    if (pid !== this.pcrPid) return NO_PCR;
    // abs(): after a timestamp jump backwards the clock restarts instead of pausing.
    if (!randomAccess && Math.abs(dts - this.lastPcrDts) < PCR_INTERVAL_90KHZ) return NO_PCR;
    this.lastPcrDts = dts;
    return wrapTimestamp(dts - PCR_DELAY_90KHZ);
  }

  /** Splits header + payload over TS packets; returns the PID's next continuity counter. */
  private writePes(
    pid: number,
    counter: number,
    streamId: number,
    payload: Uint8Array,
    pts: number,
    dts: number,
    pcr: number,
    randomAccess: boolean,
  ): number {
    const total = pesHeaderSize(dts !== pts) + payload.length;
    const firstCapacity = payloadCapacity(pcr, randomAccess);
    const packets = total <= firstCapacity ? 1 : 1 + Math.ceil((total - firstCapacity) / TS_PAYLOAD_SIZE);
    this.reserve(packets * TS_PACKET_SIZE);
    const out = this.buffer;
    // First packet: adaptation field, PES header (at most 19 bytes, it always fits), payload.
    const firstSize = Math.min(total, firstCapacity);
    let position = writePacketPrefix(out, this.length, pid, true, counter, firstSize, pcr, randomAccess);
    const headerEnd = writePesHeader(out, position, streamId, payload.length, pts, dts);
    let read = firstSize - (headerEnd - position);
    out.set(payload.subarray(0, read), headerEnd);
    this.length += TS_PACKET_SIZE;
    counter = (counter + 1) & 0x0f;
    while (read < payload.length) {
      const size = Math.min(TS_PAYLOAD_SIZE, payload.length - read);
      position = writePacketPrefix(out, this.length, pid, false, counter, size, NO_PCR, false);
      out.set(payload.subarray(read, read + size), position);
      read += size;
      this.length += TS_PACKET_SIZE;
      counter = (counter + 1) & 0x0f;
    }
    return counter;
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Milliseconds to 90 kHz ticks with the start-up offset; reduced to 33 bits when written. */
function toTicks(ms: number): number {
  return Math.round(ms * 90) + TIMESTAMP_OFFSET_90KHZ;
}
