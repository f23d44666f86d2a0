/**
 * MPEG-TS (H.264 + AAC in ADTS, as SRT encoders send) to the FLV tags an RTMP publisher
 * produces, incrementally: bytes in, in chunks of any size, tags and notices out. The pipeline
 * then treats the stream as it treats RTMP (packaging, restream, recording, ABR).
 *
 * Packets are aligned (resynchronising after garbage), the first program of the PAT is followed
 * to its PMT, and its first H.264 (0x1B) and AAC ADTS (0x0F) streams are reassembled into PES
 * packets; other streams are named and ignored. A PES that is damaged, incomplete or larger than
 * `maxPesBytes` is dropped whole and reported, never passed on; after a lost video frame, video
 * resumes at the next picture decodable on its own. Timestamps go on one forward-only
 * millisecond timeline (TsTimeline). Nothing here throws on bad input. No I/O.
 */
import { AAC_SAMPLE_RATES, AAC_SAMPLES_PER_FRAME, writeAacConfig } from '../media/aac-config.js';
import { concatBytes, sameBytes } from '../media/byte-arrays.js';
import { writeAvcDecoderConfig } from '../media/avc-decoder-config.js';
import { FLV_TAG_AUDIO, FLV_TAG_VIDEO, type FlvTag } from '../media/flv-tag.js';
import { STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264 } from '../media/psi.js';
import { TS_PACKET_SIZE } from '../media/ts-packet.js';
import { readAdtsFrame } from './adts-frame.js';
import { readAnnexBAccessUnit } from './annex-b-access-unit.js';
import { aacFrameBody, aacSequenceHeaderBody, avcFrameBody, avcSequenceHeaderBody } from './flv-tag-bodies.js';
import { PesAssembler, type PesOutcome } from './pes-assembler.js';
import { readPesHeader } from './pes-header.js';
import { readPatPmtPid, readProgramMap, type ProgramMap } from './program-tables.js';
import { PsiSectionAssembler } from './psi-section-assembler.js';
import { PAT_PID, readTsPacketHeader, type TsPacketHeader } from './ts-packet-header.js';
import { TsPacketSync } from './ts-packet-sync.js';
import { signedDifference, TIMESTAMP_ROLLOVER, TsTimeline } from './ts-timeline.js';

export type MpegTsTrack = 'video' | 'audio';

export type MpegTsEvent =
  /** A tag as RTMP would carry it; its body is the tag's own (kept as long as wanted). */
  | { kind: 'tag'; tag: FlvTag }
  /** The PMT named the program's streams: the ones used (PIDs) and the stream types ignored. */
  | { kind: 'program'; videoPid: number | undefined; audioPid: number | undefined; ignoredStreamTypes: number[] }
  /** Media that could not be passed on intact, and why. */
  | { kind: 'dropped'; track: MpegTsTrack; reason: string }
  /** Bytes skipped to find packet alignment again. */
  | { kind: 'resync'; skippedBytes: number };

export interface MpegTsDemuxerOptions {
  /** The largest PES (one video frame) reassembled; a larger one is dropped. */
  maxPesBytes: number;
}

/** A 4K keyframe at a high bitrate is 1-2 MB. */
export const DEFAULT_MAX_PES_BYTES = 4 * 1024 * 1024;

/** How long audio waits for the video's first SPS/PPS before it flows alone (media time, 90 kHz). */
const AUDIO_WAIT_FOR_VIDEO_TICKS = 10_000 * 90;
const RTMP_TIMESTAMP_ROLLOVER = 2 ** 32;
/** PTS - DTS beyond this is a broken timestamp, not B-frame reordering. */
const MAX_COMPOSITION_MS = 10_000;

interface VideoTrack {
  pid: number;
  pes: PesAssembler;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** The AVCDecoderConfigurationRecord last sent. */
  config: Uint8Array | undefined;
  /** After a lost frame (and at the start), frames wait for one that decodes on its own. */
  waitingForKeyframe: boolean;
}

interface AudioTrack {
  pid: number;
  pes: PesAssembler;
  /** The AudioSpecificConfig last sent. */
  config: Uint8Array | undefined;
  /** The start of an ADTS frame the PES ended inside: the next PES continues it. */
  carry: Uint8Array;
  /** 90 kHz time of the frame after the last one, for frames whose PES has no PTS of their own. */
  nextTicks: number;
  /** When audio started waiting for video's SPS/PPS. */
  waitStartTicks: number;
}

export class MpegTsDemuxer {
  private readonly sync = new TsPacketSync();
  private readonly timeline = new TsTimeline();
  private readonly pat = new PsiSectionAssembler();
  private pmt: { pid: number; assembler: PsiSectionAssembler; version: number } | undefined;
  private video: VideoTrack | undefined;
  private audio: AudioTrack | undefined;
  private events: MpegTsEvent[] = [];
  private readonly visit = (data: Uint8Array, offset: number): void => this.packet(data, offset);
  private readonly videoPes = (outcome: PesOutcome): void => this.onVideoPes(outcome);
  private readonly audioPes = (outcome: PesOutcome): void => this.onAudioPes(outcome);

  constructor(private readonly options: MpegTsDemuxerOptions = { maxPesBytes: DEFAULT_MAX_PES_BYTES }) {}

  /** Takes the next bytes of the stream (not kept past the call); returns what they completed. */
  push(chunk: Uint8Array): MpegTsEvent[] {
    const skippedBytes = this.sync.push(chunk, this.visit);
    if (skippedBytes > 0) this.events.push({ kind: 'resync', skippedBytes });
    return this.take();
  }

  /** The stream ended: the last video frame (whose end only the next one would show) comes out. */
  end(): MpegTsEvent[] {
    this.video?.pes.flush(this.videoPes);
    if (this.audio && this.audio.carry.length > 0) this.dropped('audio', 'the stream ended inside an ADTS frame');
    this.audio?.pes.flush(this.audioPes);
    return this.take();
  }

  private take(): MpegTsEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private packet(data: Uint8Array, offset: number): void {
    const header = readTsPacketHeader(data, offset);
    if (!header) return;
    const end = offset + TS_PACKET_SIZE;
    const { pid } = header;
    if (this.video?.pid === pid) return this.video.pes.push(header, data, end, this.videoPes);
    if (this.audio?.pid === pid) return this.audio.pes.push(header, data, end, this.audioPes);
    if (pid === PAT_PID) return this.onPatPacket(header, data, end);
    if (this.pmt?.pid === pid) return this.onPmtPacket(header, data, end);
  }

  private onPatPacket(header: TsPacketHeader, data: Uint8Array, end: number): void {
    const section = readableSection(this.pat, header, data, end);
    const pmtPid = section && readPatPmtPid(section);
    if (pmtPid === undefined || pmtPid === this.pmt?.pid) return;
    this.pmt = { pid: pmtPid, assembler: new PsiSectionAssembler(), version: -1 };
  }

  private onPmtPacket(header: TsPacketHeader, data: Uint8Array, end: number): void {
    const pmt = this.pmt!;
    const section = readableSection(pmt.assembler, header, data, end);
    const map = section && readProgramMap(section);
    if (!map || map.version === pmt.version) return;
    pmt.version = map.version;
    this.useProgram(map);
  }

  private useProgram(map: ProgramMap): void {
    const video = map.streams.find((stream) => stream.streamType === STREAM_TYPE_H264);
    const audio = map.streams.find((stream) => stream.streamType === STREAM_TYPE_AAC_ADTS);
    if (video?.pid !== this.video?.pid) {
      this.video = video && { pid: video.pid, pes: new PesAssembler(this.options.maxPesBytes), sps: [], pps: [], config: undefined, waitingForKeyframe: true };
    }
    if (audio?.pid !== this.audio?.pid) {
      this.audio = audio && {
        pid: audio.pid,
        pes: new PesAssembler(this.options.maxPesBytes),
        config: undefined,
        carry: new Uint8Array(0),
        nextTicks: Number.NaN,
        waitStartTicks: Number.NaN,
      };
    }
    const ignoredStreamTypes = map.streams.filter((stream) => stream !== video && stream !== audio).map((stream) => stream.streamType);
    this.events.push({ kind: 'program', videoPid: video?.pid, audioPid: audio?.pid, ignoredStreamTypes });
  }

  private onVideoPes(outcome: PesOutcome): void {
    const video = this.video!;
    if (outcome.kind === 'dropped') {
      video.waitingForKeyframe = true;
      return this.dropped('video', outcome.reason);
    }
    const header = readPesHeader(outcome.data);
    if (typeof header === 'string') {
      video.waitingForKeyframe = true;
      return this.dropped('video', header);
    }
    if (header.pts === undefined || header.dts === undefined) {
      video.waitingForKeyframe = true;
      return this.dropped('video', 'a video PES without a PTS');
    }
    const unit = readAnnexBAccessUnit(outcome.data.subarray(header.payloadOffset));
    const compositionTicks = signedDifference(header.pts, header.dts);
    if (compositionTicks < 0 || compositionTicks > MAX_COMPOSITION_MS * 90) {
      video.waitingForKeyframe = true;
      return this.dropped('video', `PTS ${header.pts} and DTS ${header.dts} are ${compositionTicks / 90} ms apart`);
    }
    const hasParameterSets = unit.sps.length > 0 && unit.pps.length > 0;
    // Copies: the PES buffer is reused for the next frame.
    if (unit.sps.length > 0) video.sps = unit.sps.map((nal) => nal.slice());
    if (unit.pps.length > 0) video.pps = unit.pps.map((nal) => nal.slice());
    // Until then, frames cannot be decoded, and a stream joined mid-GOP starts this way: no notice.
    if (video.sps.length === 0 || video.pps.length === 0 || unit.units.length === 0) return;
    if (video.waitingForKeyframe && !unit.keyframe && !hasParameterSets) return;
    video.waitingForKeyframe = false;
    const { dtsMs, ptsMs } = this.timeline.place('video', header.dts, header.pts);
    if (unit.sps.length > 0 || unit.pps.length > 0 || !video.config) {
      const config = decoderConfig(video.sps, video.pps);
      if (typeof config === 'string') {
        video.sps = [];
        video.waitingForKeyframe = true;
        return this.dropped('video', config);
      }
      if (!video.config || !sameBytes(config, video.config)) {
        video.config = config;
        this.tag(FLV_TAG_VIDEO, dtsMs, avcSequenceHeaderBody(config));
      }
    }
    this.tag(FLV_TAG_VIDEO, dtsMs, avcFrameBody(unit.units, unit.avccSize, unit.keyframe, ptsMs - dtsMs));
  }

  private onAudioPes(outcome: PesOutcome): void {
    const audio = this.audio!;
    if (outcome.kind === 'dropped') {
      audio.carry = new Uint8Array(0);
      return this.dropped('audio', outcome.reason);
    }
    const header = readPesHeader(outcome.data);
    if (typeof header === 'string') {
      audio.carry = new Uint8Array(0);
      return this.dropped('audio', header);
    }
    const payload = outcome.data.subarray(header.payloadOffset);
    const carried = audio.carry.length;
    const data = carried === 0 ? payload : concatBytes(audio.carry, payload);
    audio.carry = new Uint8Array(0);
    let offset = 0;
    // The PES's PTS is the time of the first frame that starts in it (H.222.0 2.4.3.7).
    let startedHere = 0;
    while (offset < data.length) {
      const frame = readAdtsFrame(data, offset);
      if (frame === 'partial') {
        audio.carry = data.slice(offset);
        return;
      }
      if (typeof frame === 'string') return this.dropped('audio', frame);
      const sampleRate = AAC_SAMPLE_RATES[frame.samplingFrequencyIndex];
      if (sampleRate === undefined || frame.channelConfig === 0) {
        return this.dropped('audio', `ADTS sampling frequency index ${frame.samplingFrequencyIndex} / channel configuration ${frame.channelConfig} is not supported`);
      }
      const frameTicks = (AAC_SAMPLES_PER_FRAME * 90_000) / sampleRate;
      const fromPts = offset >= carried && header.pts !== undefined;
      const ticks = fromPts ? (header.pts! + startedHere * frameTicks) % TIMESTAMP_ROLLOVER : audio.nextTicks;
      if (offset >= carried) startedHere += 1;
      offset = frame.frameEnd;
      if (Number.isNaN(ticks)) continue;
      audio.nextTicks = (ticks + frameTicks) % TIMESTAMP_ROLLOVER;
      if (this.audioWaitsForVideo(audio, ticks)) continue;
      const { dtsMs } = this.timeline.place('audio', ticks, ticks);
      const config = writeAacConfig(frame.objectType, frame.samplingFrequencyIndex, frame.channelConfig);
      if (!audio.config || !sameBytes(config, audio.config)) {
        audio.config = config;
        this.tag(FLV_TAG_AUDIO, dtsMs, aacSequenceHeaderBody(config));
      }
      this.tag(FLV_TAG_AUDIO, dtsMs, aacFrameBody(data.subarray(frame.rawStart, frame.frameEnd)));
    }
  }

  /**
   * Audio before the video's first SPS/PPS is dropped, for a while: the packager decides the
   * stream's tracks from the first sequence headers, and a stream joined mid-GOP would otherwise
   * be taken for audio-only. Video that never comes lets audio through after a while.
   */
  private audioWaitsForVideo(audio: AudioTrack, ticks: number): boolean {
    if (!this.video || this.video.config) return false;
    if (Number.isNaN(audio.waitStartTicks)) audio.waitStartTicks = ticks;
    return signedDifference(ticks, audio.waitStartTicks) < AUDIO_WAIT_FOR_VIDEO_TICKS;
  }

  private tag(type: number, dtsMs: number, body: Uint8Array): void {
    this.events.push({ kind: 'tag', tag: { type, timestampMs: dtsMs % RTMP_TIMESTAMP_ROLLOVER, body } });
  }

  private dropped(track: MpegTsTrack, reason: string): void {
    this.events.push({ kind: 'dropped', track, reason });
  }
}

/** The record for these parameter sets, or what is wrong with them. */
function decoderConfig(sps: Uint8Array[], pps: Uint8Array[]): Uint8Array | string {
  try {
    return writeAvcDecoderConfig(sps, pps);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function readableSection(assembler: PsiSectionAssembler, header: TsPacketHeader, data: Uint8Array, end: number): Uint8Array | undefined {
  if (!header.hasPayload || header.transportError || header.scrambled) return undefined;
  return assembler.push(data, header.payloadStart, end, header.payloadUnitStart);
}


