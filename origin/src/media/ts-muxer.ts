/**
 * MPEG-TS muxer for one program with H.264 video and/or AAC (ADTS) audio. It turns elementary
 * stream access units into PES packets split over TS packets, written straight into fixed-size
 * chunks taken from a pool every stream of the process shares. Segmenting policy lives in the caller.
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

/** 348 TS packets, just under 64 KiB: a packet never straddles two chunks. */
export const TS_CHUNK_BYTES = 348 * TS_PACKET_SIZE;

/**
 * Chunks of segment bytes, shared by every stream of the process. A segment is the chunks it
 * filled, written to disk as they are (writev) and then given back, so a stream holds only the
 * segment it is making: about half a segment on average, where a contiguous buffer per stream
 * held its largest segment, rounded up to a power of two, twice (one being filled, one being
 * written). Chunks given back go to whichever stream needs one next; reusing them avoids the
 * churn of memory outside the JS heap that drives V8 into full collections, which stall every
 * stream of the process. Spares beyond `maxSpare` are left to the collector, so an origin whose
 * streams end does not keep their memory.
 */
export class TsChunkPool {
  private readonly spare: Uint8Array[] = [];

  constructor(private readonly maxSpare = 32) {}

  /** Spare chunks held now. */
  get spareCount(): number {
    return this.spare.length;
  }

  get spareBytes(): number {
    return this.spare.length * TS_CHUNK_BYTES;
  }

  take(): Uint8Array {
    return this.spare.pop() ?? new Uint8Array(TS_CHUNK_BYTES);
  }

  /** Takes back a segment's chunks (views of pooled chunks); none may be read afterwards. */
  give(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      if (this.spare.length >= this.maxSpare) return;
      if (chunk.buffer.byteLength === TS_CHUNK_BYTES) this.spare.push(new Uint8Array(chunk.buffer));
    }
  }
}

/** The process's pool: streams end and start, the chunks stay in use. */
export const sharedTsChunks = new TsChunkPool();

export interface MuxerTracks {
  video: boolean;
  audio: boolean;
}

export class TsMuxer {
  /** The segment's full chunks, and the one being filled. */
  private chunks: Uint8Array[] = [];
  private chunk: Uint8Array;
  private offset = 0;
  private length = 0;
  private patCounter = 0;
  private pmtCounter = 0;
  private videoCounter = 0;
  private audioCounter = 0;
  private lastPcrDts = Number.NaN;
  private readonly pcrPid: number;
  private readonly streams: PmtStream[] = [];

  constructor(tracks: MuxerTracks, private readonly pool = sharedTsChunks) {
    if (!tracks.video && !tracks.audio) throw new RangeError('a TS muxer needs a video or an audio track');
    this.chunk = pool.take();
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
    // nextPacket() first: it may move on to a new chunk.
    let at = this.nextPacket();
    writePatPacket(this.chunk, at, this.patCounter, PMT_PID);
    this.patCounter = (this.patCounter + 1) & 0x0f;
    at = this.nextPacket();
    writePmtPacket(this.chunk, at, this.pmtCounter, PMT_PID, this.pcrPid, this.streams);
    this.pmtCounter = (this.pmtCounter + 1) & 0x0f;
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
   * Takes the segment's full chunks so far (the muxer no longer writes to them), in order: the
   * caller stores them as they fill instead of holding the whole segment (give them back to the
   * pool once written); endSegment returns the rest.
   */
  takeFullChunks(): Uint8Array[] {
    const full = this.chunks;
    this.chunks = [];
    return full;
  }

  /** Bytes of full chunks takeFullChunks would return now. */
  get fullChunkBytes(): number {
    return this.chunks.length * TS_CHUNK_BYTES;
  }

  /**
   * Returns the segment's bytes, in order (after any takeFullChunks): chunks the muxer no longer writes to (give them back to
   * the pool once written), and starts the next segment in a fresh chunk.
   */
  endSegment(): Uint8Array[] {
    const segment = this.chunks;
    if (this.offset > 0) segment.push(this.chunk.subarray(0, this.offset));
    this.chunks = [];
    this.chunk = this.offset > 0 ? this.pool.take() : this.chunk;
    this.offset = 0;
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
    // First packet: adaptation field, PES header (at most 19 bytes, it always fits), payload.
    const firstSize = Math.min(total, firstCapacity);
    const first = this.nextPacket();
    let out = this.chunk;
    let position = writePacketPrefix(out, first, pid, true, counter, firstSize, pcr, randomAccess);
    const headerEnd = writePesHeader(out, position, streamId, payload.length, pts, dts);
    let read = firstSize - (headerEnd - position);
    out.set(payload.subarray(0, read), headerEnd);
    counter = (counter + 1) & 0x0f;
    while (read < payload.length) {
      const size = Math.min(TS_PAYLOAD_SIZE, payload.length - read);
      const at = this.nextPacket();
      out = this.chunk;
      position = writePacketPrefix(out, at, pid, false, counter, size, NO_PCR, false);
      out.set(payload.subarray(read, read + size), position);
      read += size;
      counter = (counter + 1) & 0x0f;
    }
    return counter;
  }

  /** Where the next packet goes in `this.chunk`, moving on to a new chunk when this one is full. */
  private nextPacket(): number {
    if (this.offset === this.chunk.length) {
      this.chunks.push(this.chunk);
      this.chunk = this.pool.take();
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += TS_PACKET_SIZE;
    this.length += TS_PACKET_SIZE;
    return at;
  }
}

/** Milliseconds to 90 kHz ticks with the start-up offset; reduced to 33 bits when written. */
function toTicks(ms: number): number {
  return Math.round(ms * 90) + TIMESTAMP_OFFSET_90KHZ;
}
