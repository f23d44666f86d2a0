/**
 * The SRT packet header (draft-sharabayko-srt §3): 16 bytes, then a data payload or a control
 * information field (CIF). Bit 0 of the first word tells data (0) from control (1). Module-level
 * codecs over bytes; no I/O.
 */
export const SRT_HEADER_BYTES = 16;

/** Control packet types (§3.2). */
export const CONTROL_TYPE = {
  handshake: 0x0000,
  keepalive: 0x0001,
  ack: 0x0002,
  nak: 0x0003,
  congestionWarning: 0x0004,
  shutdown: 0x0005,
  ackack: 0x0006,
  dropRequest: 0x0007,
  peerError: 0x0008,
  userDefined: 0x7fff,
} as const;

export interface SrtDataPacket {
  kind: 'data';
  /** 31-bit packet sequence number. */
  sequence: number;
  /** 2-bit position of the packet in its message (live mode: always 0b11, a solo packet). */
  position: number;
  inOrder: boolean;
  /** 2-bit key flag: 0 not encrypted, 1 even key, 2 odd key. */
  encryption: number;
  retransmitted: boolean;
  /** 26-bit message number. */
  messageNumber: number;
  /** Microseconds since the sender's connection started (32 bits, wraps after ~71 minutes). */
  timestampUs: number;
  destinationSocketId: number;
  payload: Uint8Array;
}

export interface SrtControlPacket {
  kind: 'control';
  controlType: number;
  subtype: number;
  /** Type-specific information: the ACK number of an ACK or ACKACK, a message number for a drop request. */
  typeInfo: number;
  timestampUs: number;
  destinationSocketId: number;
  /** The control information field, as received. */
  cif: Uint8Array;
}

export type SrtPacket = SrtDataPacket | SrtControlPacket;

export class SrtPacketError extends Error {
  readonly code = 'LIVE_ERR_SRT_PACKET';
  override readonly name = 'SrtPacketError';
}

export function parseSrtPacket(bytes: Uint8Array): SrtPacket {
  if (bytes.byteLength < SRT_HEADER_BYTES) throw new SrtPacketError(`an SRT packet has at least ${SRT_HEADER_BYTES} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word0 = view.getUint32(0);
  const word1 = view.getUint32(4);
  const timestampUs = view.getUint32(8);
  const destinationSocketId = view.getUint32(12);
  if ((word0 & 0x8000_0000) === 0) {
    return {
      kind: 'data',
      sequence: word0 & 0x7fff_ffff,
      position: word1 >>> 30,
      inOrder: ((word1 >>> 29) & 1) === 1,
      encryption: (word1 >>> 27) & 0b11,
      retransmitted: ((word1 >>> 26) & 1) === 1,
      messageNumber: word1 & 0x03ff_ffff,
      timestampUs,
      destinationSocketId,
      payload: bytes.subarray(SRT_HEADER_BYTES),
    };
  }
  return {
    kind: 'control',
    controlType: (word0 >>> 16) & 0x7fff,
    subtype: word0 & 0xffff,
    typeInfo: word1,
    timestampUs,
    destinationSocketId,
    cif: bytes.subarray(SRT_HEADER_BYTES),
  };
}

/** Writes a control packet: the header, then `cif`. */
export function writeControlPacket(packet: Omit<SrtControlPacket, 'kind'>): Uint8Array {
  const bytes = new Uint8Array(SRT_HEADER_BYTES + packet.cif.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (0x8000_0000 | ((packet.controlType & 0x7fff) << 16) | (packet.subtype & 0xffff)) >>> 0);
  view.setUint32(4, packet.typeInfo >>> 0);
  view.setUint32(8, packet.timestampUs >>> 0);
  view.setUint32(12, packet.destinationSocketId >>> 0);
  bytes.set(packet.cif, SRT_HEADER_BYTES);
  return bytes;
}

/** Writes a data packet (what a caller sends; the listener only receives them, tests send them). */
export function writeDataPacket(packet: Omit<SrtDataPacket, 'kind'>): Uint8Array {
  const bytes = new Uint8Array(SRT_HEADER_BYTES + packet.payload.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, packet.sequence & 0x7fff_ffff);
  const word1 =
    ((packet.position & 0b11) << 30) |
    ((packet.inOrder ? 1 : 0) << 29) |
    ((packet.encryption & 0b11) << 27) |
    ((packet.retransmitted ? 1 : 0) << 26) |
    (packet.messageNumber & 0x03ff_ffff);
  view.setUint32(4, word1 >>> 0);
  view.setUint32(8, packet.timestampUs >>> 0);
  view.setUint32(12, packet.destinationSocketId >>> 0);
  bytes.set(packet.payload, SRT_HEADER_BYTES);
  return bytes;
}
