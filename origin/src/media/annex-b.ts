/**
 * H.264 access units from AVCC (length-prefixed NAL units, as FLV carries them) to Annex B
 * (start-code delimited, as MPEG-TS requires, ITU-T H.222.0 2.14). Each access unit starts
 * with an access unit delimiter, and IDR pictures get the SPS/PPS in front so a player can
 * start decoding at any segment.
 */
import { MediaFormatError } from './media-format-error.js';

export const NAL_TYPE_IDR = 5;
export const NAL_TYPE_SPS = 7;
export const NAL_TYPE_PPS = 8;
export const NAL_TYPE_AUD = 9;
export const NAL_TYPE_FILLER = 12;

const START_CODE = new Uint8Array([0, 0, 0, 1]);
/** AUD: start code, NAL header type 9, primary_pic_type 7 (any slice type) + stop bit. */
const ACCESS_UNIT_DELIMITER = new Uint8Array([0, 0, 0, 1, NAL_TYPE_AUD, 0xf0]);

/** One walk over an AVCC access unit's NAL units, done before writing so the size is known. */
export interface AvccLayout {
  /** Bytes of the Annex B access unit with its delimiter, before any inserted parameter sets. */
  size: number;
  hasIdr: boolean;
  /** The access unit carries its own SPS and PPS, so nothing needs inserting. */
  hasParameterSets: boolean;
}

/** The sequence header's SPS and PPS, each behind a start code, ready to insert before IDRs. */
export function parameterSetsToAnnexB(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const units = [...sps, ...pps];
  let size = 0;
  for (const unit of units) size += START_CODE.length + unit.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const unit of units) {
    out.set(START_CODE, offset);
    out.set(unit, offset + START_CODE.length);
    offset += START_CODE.length + unit.length;
  }
  return out;
}

/** Throws MediaFormatError when a NAL length runs past the data (wrong length size, Annex B input). */
export function layoutAvcc(avcc: Uint8Array, nalLengthSize: number): AvccLayout {
  let size = ACCESS_UNIT_DELIMITER.length;
  let hasIdr = false;
  let hasSps = false;
  let hasPps = false;
  let offset = 0;
  while (offset < avcc.length) {
    const length = readNalLength(avcc, offset, nalLengthSize);
    offset += nalLengthSize;
    if (length === 0) continue;
    // forbidden_zero_bit (1), nal_ref_idc (2), nal_unit_type (5 bits).
    const type = avcc[offset]! & 0x1f;
    offset += length;
    if (type === NAL_TYPE_AUD) continue;
    if (type === NAL_TYPE_IDR) hasIdr = true;
    else if (type === NAL_TYPE_SPS) hasSps = true;
    else if (type === NAL_TYPE_PPS) hasPps = true;
    size += START_CODE.length + length;
  }
  return { size, hasIdr, hasParameterSets: hasSps && hasPps };
}

/**
 * Writes the Annex B access unit at `offset`: delimiter, then `parameterSets` when given (from
 * parameterSetsToAnnexB), then the NAL units. Returns the offset after it.
 */
export function writeAnnexB(
  avcc: Uint8Array,
  nalLengthSize: number,
  parameterSets: Uint8Array | undefined,
  out: Uint8Array,
  offset: number,
): number {
  out.set(ACCESS_UNIT_DELIMITER, offset);
  let position = offset + ACCESS_UNIT_DELIMITER.length;
  if (parameterSets !== undefined) {
    out.set(parameterSets, position);
    position += parameterSets.length;
  }
  let read = 0;
  while (read < avcc.length) {
    const length = readNalLength(avcc, read, nalLengthSize);
    read += nalLengthSize;
    if (length === 0) continue;
    // Delimiters in the input would duplicate the one written above.
    if ((avcc[read]! & 0x1f) !== NAL_TYPE_AUD) {
      out.set(START_CODE, position);
      out.set(avcc.subarray(read, read + length), position + START_CODE.length);
      position += START_CODE.length + length;
    }
    read += length;
  }
  return position;
}

/** Big-endian NAL length of 1, 2 or 4 bytes, checked against the data left. */
function readNalLength(avcc: Uint8Array, offset: number, nalLengthSize: number): number {
  if (offset + nalLengthSize > avcc.length) {
    throw new MediaFormatError(`H.264 frame ends inside a ${nalLengthSize}-byte NAL length at byte ${offset}`);
  }
  let length = 0;
  // Multiplication keeps 4-byte lengths above 2^31 positive (and then rejected below).
  for (let i = 0; i < nalLengthSize; i++) length = length * 256 + avcc[offset + i]!;
  if (offset + nalLengthSize + length > avcc.length) {
    throw new MediaFormatError(
      `H.264 NAL length ${length} at byte ${offset} runs past the ${avcc.length}-byte frame (Annex B data in FLV?)`,
    );
  }
  return length;
}
