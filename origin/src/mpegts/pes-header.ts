/**
 * The header of a received PES packet (ITU-T H.222.0 2.4.3.6, 2.4.3.7): where the elementary
 * stream bytes start and the 33-bit, 90 kHz PTS and DTS. The writer side is media/pes.ts.
 */

export interface PesHeader {
  /** PTS in 90 kHz ticks (0 to 2^33 - 1); undefined when the PES has none. */
  pts: number | undefined;
  /** DTS in 90 kHz ticks; the PTS when the PES carries no separate DTS. */
  dts: number | undefined;
  /** Offset of the first payload byte in the PES. */
  payloadOffset: number;
}

const FIXED_HEADER_SIZE = 9;

/** Reads a PES header; returns a sentence naming what is wrong when it cannot. */
export function readPesHeader(pes: Uint8Array): PesHeader | string {
  if (pes.length < FIXED_HEADER_SIZE) return `PES of ${pes.length} bytes is shorter than its header`;
  // packet_start_code_prefix (24 bits) 0x000001.
  if (pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) return 'PES does not start with 00 00 01';
  // '10' (2 bits), then scrambling, priority, alignment, copyright, original (6 bits).
  if ((pes[6]! & 0xc0) !== 0x80) return 'PES has no optional header (not an audio or video stream)';
  // PTS_DTS_flags (2 bits): '10' PTS only, '11' both.
  const flags = pes[7]! >> 6;
  // PES_header_data_length (8 bits).
  const payloadOffset = FIXED_HEADER_SIZE + pes[8]!;
  if (payloadOffset > pes.length) return `PES header of ${payloadOffset} bytes runs past the ${pes.length}-byte PES`;
  const needed = flags === 3 ? 10 : flags === 2 ? 5 : 0;
  if (pes[8]! < needed) return `PES header data of ${pes[8]} bytes cannot hold its timestamps`;
  const pts = flags & 0x2 ? readTimestamp(pes, FIXED_HEADER_SIZE) : undefined;
  const dts = flags === 3 ? readTimestamp(pes, FIXED_HEADER_SIZE + 5) : pts;
  return { pts, dts, payloadOffset };
}

/** '001x' prefix (4 bits), [32..30] (3), marker, [29..15] (15), marker, [14..0] (15), marker. */
function readTimestamp(pes: Uint8Array, offset: number): number {
  // Bitwise operators are 32-bit: the top 3 bits are added by multiplication.
  const high = (pes[offset]! >> 1) & 0x07;
  const low = (pes[offset + 1]! << 22) | ((pes[offset + 2]! >> 1) << 15) | (pes[offset + 3]! << 7) | (pes[offset + 4]! >> 1);
  return high * 2 ** 30 + low;
}
