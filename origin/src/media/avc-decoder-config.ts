/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), the FLV/RTMP H.264 sequence header:
 * the SPS and PPS NAL units plus the size of the length prefix in front of every frame's NALs.
 */
import { HIGH_PROFILES, parseSpsSampleFormat } from './h264-sps.js';
import { MediaFormatError } from './media-format-error.js';

export interface AvcDecoderConfig {
  profile: number;
  profileCompatibility: number;
  level: number;
  /** Bytes of the big-endian length in front of each NAL unit in frames (1, 2 or 4). */
  nalLengthSize: number;
  /** Copies: the tag body they came from is reused by the caller. */
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function parseAvcDecoderConfig(data: Uint8Array): AvcDecoderConfig {
  if (data.length < 7) throw new MediaFormatError(`AVC decoder configuration of ${data.length} bytes is too short`);
  // configurationVersion (8 bits), always 1.
  if (data[0] !== 1) throw new MediaFormatError(`AVC decoder configuration version ${data[0]} is not 1`);
  // AVCProfileIndication, profile_compatibility, AVCLevelIndication (8 bits each).
  const profile = data[1]!;
  const profileCompatibility = data[2]!;
  const level = data[3]!;
  // reserved (6 bits), lengthSizeMinusOne (2 bits).
  const nalLengthSize = (data[4]! & 0x03) + 1;
  if (nalLengthSize === 3) throw new MediaFormatError('AVC NAL length size of 3 bytes is not allowed');
  // reserved (3 bits), numOfSequenceParameterSets (5 bits).
  const spsCount = data[5]! & 0x1f;
  let offset = 6;
  const sps: Uint8Array[] = [];
  for (let i = 0; i < spsCount; i++) offset = readParameterSet(data, offset, sps);
  if (offset >= data.length) throw new MediaFormatError('AVC decoder configuration ends before its PPS count');
  // numOfPictureParameterSets (8 bits).
  const ppsCount = data[offset]!;
  offset++;
  const pps: Uint8Array[] = [];
  for (let i = 0; i < ppsCount; i++) offset = readParameterSet(data, offset, pps);
  // High-profile extensions (chroma format, bit depths) may follow; the SPS carries them too.
  if (sps.length === 0 || pps.length === 0) {
    throw new MediaFormatError(`AVC decoder configuration has ${sps.length} SPS and ${pps.length} PPS, needs at least one of each`);
  }
  return { profile, profileCompatibility, level, nalLengthSize, sps, pps };
}

function readParameterSet(data: Uint8Array, offset: number, into: Uint8Array[]): number {
  if (offset + 2 > data.length) throw new MediaFormatError('AVC decoder configuration ends inside a parameter set length');
  // sequenceParameterSetLength / pictureParameterSetLength (16 bits).
  const length = (data[offset]! << 8) | data[offset + 1]!;
  const start = offset + 2;
  if (length === 0 || start + length > data.length) {
    throw new MediaFormatError(`AVC parameter set of ${length} bytes does not fit the configuration`);
  }
  into.push(data.slice(start, start + length));
  return start + length;
}

/** RFC 6381 codec string, e.g. `avc1.64001f` for High profile level 3.1. */
export function avcCodecString(config: AvcDecoderConfig): string {
  return `avc1.${hex2(config.profile)}${hex2(config.profileCompatibility)}${hex2(config.level)}`;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/**
 * An AVCDecoderConfigurationRecord for these parameter sets (what an RTMP encoder sends as its
 * sequence header), with 4-byte NAL lengths. Profile, compatibility and level come from the
 * first SPS's bytes 1-3; High profiles get the chroma format and bit depths after the PPS, as
 * ISO/IEC 14496-15 asks (fMP4 init segments carry the record as it is). Throws MediaFormatError
 * for an SPS too short to read.
 */
export function writeAvcDecoderConfig(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (!first || first.length < 4 || pps.length === 0) throw new MediaFormatError('an AVC decoder configuration needs an SPS and a PPS');
  const format = HIGH_PROFILES.has(first[1]!) ? parseSpsSampleFormat(first) : undefined;
  let size = 7 + (format ? 4 : 0);
  for (const unit of [...sps, ...pps]) size += 2 + unit.length;
  const out = new Uint8Array(size);
  // configurationVersion 1, AVCProfileIndication, profile_compatibility, AVCLevelIndication.
  out.set([1, first[1]!, first[2]!, first[3]!]);
  // reserved (6 bits) all ones, lengthSizeMinusOne (2 bits) = 3.
  out[4] = 0xff;
  // reserved (3 bits) all ones, numOfSequenceParameterSets (5 bits).
  out[5] = 0xe0 | sps.length;
  let offset = writeParameterSets(out, 6, sps);
  // numOfPictureParameterSets (8 bits).
  out[offset] = pps.length;
  offset = writeParameterSets(out, offset + 1, pps);
  if (format) {
    // reserved (6 bits) all ones, chroma_format (2); reserved (5) all ones, bit_depth_luma_minus8 (3);
    // the same for chroma; numOfSequenceParameterSetExt (8 bits) = 0.
    out.set([0xfc | format.chromaFormatIdc, 0xf8 | format.bitDepthLumaMinus8, 0xf8 | format.bitDepthChromaMinus8, 0], offset);
  }
  return out;
}

function writeParameterSets(out: Uint8Array, offset: number, units: readonly Uint8Array[]): number {
  for (const unit of units) {
    // sequence/pictureParameterSetLength (16 bits), then the NAL unit.
    out[offset] = unit.length >> 8;
    out[offset + 1] = unit.length & 0xff;
    out.set(unit, offset + 2);
    offset += 2 + unit.length;
  }
  return offset;
}
