/**
 * The 4-byte header and adaptation field of a received TS packet (ITU-T H.222.0 2.4.3.2-2.4.3.5),
 * reduced to what reassembly needs. The writer side is media/ts-packet.ts.
 */
import { TS_PACKET_SIZE } from '../media/ts-packet.js';

export const PAT_PID = 0x0000;

export interface TsPacketHeader {
  pid: number;
  /** A PES or PSI section starts in this packet's payload. */
  payloadUnitStart: boolean;
  /** The sender's physical layer marked the packet as damaged. */
  transportError: boolean;
  /** Encrypted (DVB/CSA): unreadable here. */
  scrambled: boolean;
  continuityCounter: number;
  /** The sender says the continuity counter restarts here, so a jump is not a loss. */
  discontinuity: boolean;
  /** Payload bytes are [payloadStart, offset + 188); none when payloadStart is offset + 188. */
  payloadStart: number;
  hasPayload: boolean;
}

/** Reads the header of the packet at `offset`; undefined when its adaptation field cannot be (a damaged packet). */
export function readTsPacketHeader(data: Uint8Array, offset: number): TsPacketHeader | undefined {
  const byte1 = data[offset + 1]!;
  const byte3 = data[offset + 3]!;
  // adaptation_field_control (2 bits): 01 payload only, 10 adaptation field only, 11 both, 00 reserved.
  const adaptationFieldControl = (byte3 >> 4) & 0x03;
  if (adaptationFieldControl === 0) return undefined;
  const hasPayload = (adaptationFieldControl & 0x01) !== 0;
  let payloadStart = offset + 4;
  let discontinuity = false;
  if (adaptationFieldControl & 0x02) {
    // adaptation_field_length (8 bits): 0-182 before a payload, 183 when it fills the packet.
    const length = data[offset + 4]!;
    if (length > (hasPayload ? 182 : 183)) return undefined;
    // discontinuity_indicator: the first bit of the flags byte that follows a non-zero length.
    if (length > 0) discontinuity = (data[offset + 5]! & 0x80) !== 0;
    payloadStart = offset + 5 + length;
  }
  return {
    // transport_error_indicator (1 bit), payload_unit_start_indicator (1), transport_priority (1), PID (13).
    transportError: (byte1 & 0x80) !== 0,
    payloadUnitStart: (byte1 & 0x40) !== 0,
    pid: ((byte1 & 0x1f) << 8) | data[offset + 2]!,
    // transport_scrambling_control (2 bits), adaptation_field_control (2), continuity_counter (4).
    scrambled: (byte3 & 0xc0) !== 0,
    continuityCounter: byte3 & 0x0f,
    discontinuity,
    payloadStart,
    hasPayload: hasPayload && payloadStart < offset + TS_PACKET_SIZE,
  };
}
