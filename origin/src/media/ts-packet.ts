/**
 * 188-byte MPEG-TS packets (ITU-T H.222.0 2.4.3.2): header and adaptation field. The caller
 * copies the payload in after the prefix; a payload shorter than the packet is padded with
 * adaptation-field stuffing, the only padding a PES may use.
 */

export const TS_PACKET_SIZE = 188;
const TS_HEADER_SIZE = 4;
export const TS_PAYLOAD_SIZE = TS_PACKET_SIZE - TS_HEADER_SIZE;
const SYNC_BYTE = 0x47;

/** Passed as `pcr` when a packet carries no program clock reference. */
export const NO_PCR = -1;

/** Adaptation field with only flags: length byte + flags byte. */
const FLAGS_ONLY_SIZE = 2;
/** Adaptation field with a PCR: length byte + flags byte + 6 PCR bytes. */
const WITH_PCR_SIZE = 8;

/** Payload bytes that fit in one packet carrying these adaptation fields. */
export function payloadCapacity(pcr: number, randomAccess: boolean): number {
  if (pcr !== NO_PCR) return TS_PAYLOAD_SIZE - WITH_PCR_SIZE;
  return randomAccess ? TS_PAYLOAD_SIZE - FLAGS_ONLY_SIZE : TS_PAYLOAD_SIZE;
}

/**
 * Writes a packet header and adaptation field sized so that exactly `payloadSize` bytes of
 * payload end the packet (at most `payloadCapacity`). Returns the offset of the payload.
 * `pcr` is the program clock reference base in 90 kHz units, already within 33 bits, or NO_PCR.
 */
export function writePacketPrefix(
  out: Uint8Array,
  offset: number,
  pid: number,
  payloadUnitStart: boolean,
  continuityCounter: number,
  payloadSize: number,
  pcr: number,
  randomAccess: boolean,
): number {
  const adaptationSize = TS_PAYLOAD_SIZE - payloadSize;
  // sync_byte (8 bits).
  out[offset] = SYNC_BYTE;
  // transport_error_indicator (1), payload_unit_start_indicator (1), transport_priority (1),
  // PID high 5 bits (of 13).
  out[offset + 1] = (payloadUnitStart ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  // PID low 8 bits.
  out[offset + 2] = pid & 0xff;
  // transport_scrambling_control (2) = clear, adaptation_field_control (2) = 01 payload only or
  // 11 adaptation field then payload, continuity_counter (4).
  out[offset + 3] = (adaptationSize > 0 ? 0x30 : 0x10) | (continuityCounter & 0x0f);
  if (adaptationSize > 0) writeAdaptationField(out, offset + TS_HEADER_SIZE, adaptationSize, pcr, randomAccess);
  return offset + TS_HEADER_SIZE + adaptationSize;
}

/** `size` counts every adaptation field byte, its length byte included. */
function writeAdaptationField(out: Uint8Array, offset: number, size: number, pcr: number, randomAccess: boolean): void {
  // adaptation_field_length (8 bits): the bytes after this one. A single byte of stuffing is
  // just this byte with the value 0.
  out[offset] = size - 1;
  if (size === 1) return;
  // discontinuity_indicator (1), random_access_indicator (1), elementary_stream_priority (1),
  // PCR_flag (1), OPCR_flag (1), splicing_point_flag (1), transport_private_data_flag (1),
  // adaptation_field_extension_flag (1).
  out[offset + 1] = (randomAccess ? 0x40 : 0) | (pcr !== NO_PCR ? 0x10 : 0);
  let position = offset + 2;
  if (pcr !== NO_PCR) {
    writePcr(out, position, pcr);
    position += 6;
  }
  out.fill(0xff, position, offset + size);
}

/** program_clock_reference_base (33 bits), reserved (6 bits), extension (9 bits) = 0. */
function writePcr(out: Uint8Array, offset: number, base: number): void {
  // Bitwise operators are 32-bit: the top bits of the 33-bit base come from division.
  out[offset] = Math.floor(base / 2 ** 25) & 0xff;
  out[offset + 1] = Math.floor(base / 2 ** 17) & 0xff;
  out[offset + 2] = Math.floor(base / 2 ** 9) & 0xff;
  out[offset + 3] = Math.floor(base / 2) & 0xff;
  // Base low bit, 6 reserved bits set, extension high bit.
  out[offset + 4] = ((base % 2) << 7) | 0x7e;
  // Extension low 8 bits: the 27 MHz remainder, unused at 90 kHz precision.
  out[offset + 5] = 0;
}
