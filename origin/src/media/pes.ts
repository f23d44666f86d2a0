/**
 * PES packet header (ITU-T H.222.0 2.4.3.6) with 33-bit, 90 kHz PTS and DTS. The header goes in
 * front of one access unit (video) or a run of ADTS frames (audio); TS packets then carry it.
 */

export const STREAM_ID_AUDIO = 0xc0;
export const STREAM_ID_VIDEO = 0xe0;

/** PTS and DTS are 33-bit counters of a 90 kHz clock: they wrap every 26.5 hours. */
const TIMESTAMP_ROLLOVER = 2 ** 33;

/** Reduces any tick count, negative ones included, to the 33-bit range PTS, DTS and PCR use. */
export function wrapTimestamp(ticks: number): number {
  return ((ticks % TIMESTAMP_ROLLOVER) + TIMESTAMP_ROLLOVER) % TIMESTAMP_ROLLOVER;
}

const PES_FIXED_HEADER_SIZE = 9;
const TIMESTAMP_SIZE = 5;
const MAX_PES_PACKET_LENGTH = 0xffff;

/** Header bytes for a PES with a PTS, plus a DTS when it differs from the PTS. */
export function pesHeaderSize(hasDts: boolean): number {
  return PES_FIXED_HEADER_SIZE + TIMESTAMP_SIZE * (hasDts ? 2 : 1);
}

/**
 * Writes a PES header for `payloadSize` bytes of payload; returns the offset after it.
 * `pts` and `dts` are 90 kHz ticks, reduced modulo 2^33 here; the DTS is written only when it
 * differs from the PTS, as only reordered video (B-frames) needs both.
 */
export function writePesHeader(
  out: Uint8Array,
  offset: number,
  streamId: number,
  payloadSize: number,
  pts: number,
  dts: number,
): number {
  const hasDts = dts !== pts;
  const headerDataLength = TIMESTAMP_SIZE * (hasDts ? 2 : 1);
  const packetLength = 3 + headerDataLength + payloadSize;
  // packet_start_code_prefix (24 bits) 0x000001.
  out[offset] = 0;
  out[offset + 1] = 0;
  out[offset + 2] = 1;
  // stream_id (8 bits).
  out[offset + 3] = streamId;
  // PES_packet_length (16 bits): bytes after this field. 0 means unbounded, which H.222.0 allows
  // for video only; audio runs are kept well below the limit by the muxer.
  const length = packetLength > MAX_PES_PACKET_LENGTH ? 0 : packetLength;
  out[offset + 4] = length >> 8;
  out[offset + 5] = length & 0xff;
  // '10' (2 bits), PES_scrambling_control (2), PES_priority (1), data_alignment_indicator (1) = 1
  // since every PES starts with an access unit, copyright (1), original_or_copy (1).
  out[offset + 6] = 0x84;
  // PTS_DTS_flags (2 bits) = '10' PTS or '11' PTS and DTS, then six unused flags.
  out[offset + 7] = hasDts ? 0xc0 : 0x80;
  // PES_header_data_length (8 bits).
  out[offset + 8] = headerDataLength;
  writeTimestamp(out, offset + 9, hasDts ? 0x3 : 0x2, pts);
  if (hasDts) writeTimestamp(out, offset + 14, 0x1, dts);
  return offset + PES_FIXED_HEADER_SIZE + headerDataLength;
}

/** '001x' prefix (4 bits), timestamp[32..30] (3), marker, [29..15] (15), marker, [14..0] (15), marker. */
function writeTimestamp(out: Uint8Array, offset: number, prefix: number, ticks: number): void {
  const value = wrapTimestamp(ticks);
  // Bitwise operators are 32-bit: the top 3 bits come from division, the low 30 fit an int.
  const high = Math.floor(value / 2 ** 30);
  const low = value % 2 ** 30;
  out[offset] = (prefix << 4) | (high << 1) | 1;
  out[offset + 1] = (low >> 22) & 0xff;
  out[offset + 2] = ((low >> 14) & 0xfe) | 1;
  out[offset + 3] = (low >> 7) & 0xff;
  out[offset + 4] = ((low << 1) & 0xfe) | 1;
}
