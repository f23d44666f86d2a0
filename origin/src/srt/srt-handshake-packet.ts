/**
 * The handshake control information field (draft-sharabayko-srt §3.2.1) and the extensions an HSv5
 * conclusion carries: HSREQ/HSRSP (version, flags, TSBPD latencies) and SID (the stream id).
 */
import { SrtPacketError } from './srt-packet.js';

const HANDSHAKE_BYTES = 48;
/** What an HSv5 listener puts in the extension field of its induction answer. */
export const SRT_MAGIC = 0x4a17;
/** Longest stream id libsrt sends (SRT_STREAMID_MAX). */
export const MAX_STREAM_ID_BYTES = 512;

export const HANDSHAKE_TYPE = {
  done: 0xffff_fffd,
  agreement: 0xffff_fffe,
  conclusion: 0xffff_ffff,
  waveahand: 0x0000_0000,
  induction: 0x0000_0001,
} as const;

/** A rejection travels as the handshake type: 1000 + the reason (libsrt's URQFailure). */
export const REJECTION_TYPE_BASE = 1000;

/** Extension field flags of a conclusion: which extensions follow. */
export const EXTENSION_FLAG = { hsreq: 0x1, kmreq: 0x2, config: 0x4 } as const;

export const EXTENSION_TYPE = { hsreq: 1, hsrsp: 2, kmreq: 3, kmrsp: 4, sid: 5, congestion: 6, filter: 7, group: 8 } as const;

/** HSREQ/HSRSP flags (§3.2.1.1.1). */
export const SRT_FLAG = {
  tsbpdSend: 0x01,
  tsbpdReceive: 0x02,
  crypt: 0x04,
  tooLatePacketDrop: 0x08,
  periodicNak: 0x10,
  retransmitFlag: 0x20,
  stream: 0x40,
  packetFilter: 0x80,
} as const;

export interface HandshakeExtension {
  type: number;
  content: Uint8Array;
}

export interface Handshake {
  version: number;
  encryption: number;
  extensionField: number;
  initialSequence: number;
  mtu: number;
  flowWindow: number;
  /** One of HANDSHAKE_TYPE, or a rejection (REJECTION_TYPE_BASE + reason). */
  type: number;
  socketId: number;
  synCookie: number;
  /** 16 bytes as sent; IPv4 in the first 4 (libsrt's byte order, which we do not read). */
  peerIp: Uint8Array;
  extensions: HandshakeExtension[];
}

export function parseHandshake(cif: Uint8Array): Handshake {
  if (cif.byteLength < HANDSHAKE_BYTES) throw new SrtPacketError(`a handshake carries at least ${HANDSHAKE_BYTES} bytes, got ${cif.byteLength}`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const extensions: HandshakeExtension[] = [];
  for (let offset = HANDSHAKE_BYTES; offset + 4 <= cif.byteLength; ) {
    const type = view.getUint16(offset);
    const length = view.getUint16(offset + 2) * 4;
    const start = offset + 4;
    if (start + length > cif.byteLength) throw new SrtPacketError(`handshake extension ${type} is longer than the packet`);
    extensions.push({ type, content: cif.subarray(start, start + length) });
    offset = start + length;
  }
  return {
    version: view.getUint32(0),
    encryption: view.getUint16(4),
    extensionField: view.getUint16(6),
    initialSequence: view.getUint32(8) & 0x7fff_ffff,
    mtu: view.getUint32(12),
    flowWindow: view.getUint32(16),
    type: view.getUint32(20),
    socketId: view.getUint32(24),
    synCookie: view.getUint32(28),
    peerIp: cif.slice(32, 48),
    extensions,
  };
}

export function writeHandshake(handshake: Handshake): Uint8Array {
  const extensionBytes = handshake.extensions.reduce((sum, { content }) => sum + 4 + paddedLength(content.byteLength), 0);
  const cif = new Uint8Array(HANDSHAKE_BYTES + extensionBytes);
  const view = new DataView(cif.buffer);
  view.setUint32(0, handshake.version);
  view.setUint16(4, handshake.encryption);
  view.setUint16(6, handshake.extensionField);
  view.setUint32(8, handshake.initialSequence);
  view.setUint32(12, handshake.mtu);
  view.setUint32(16, handshake.flowWindow);
  view.setUint32(20, handshake.type >>> 0);
  view.setUint32(24, handshake.socketId >>> 0);
  view.setUint32(28, handshake.synCookie >>> 0);
  cif.set(handshake.peerIp.subarray(0, 16), 32);
  let offset = HANDSHAKE_BYTES;
  for (const { type, content } of handshake.extensions) {
    const length = paddedLength(content.byteLength);
    view.setUint16(offset, type);
    view.setUint16(offset + 2, length / 4);
    cif.set(content, offset + 4);
    offset += 4 + length;
  }
  return cif;
}

/** The HSREQ (caller) / HSRSP (listener) extension. */
export interface SrtHandshakeInfo {
  /** e.g. 0x010503 for 1.5.3 */
  srtVersion: number;
  flags: number;
  /** TSBPD latency the sender of this extension uses as a receiver, in ms. */
  receiverLatencyMs: number;
  /** TSBPD latency the sender of this extension asks of its peer as a receiver, in ms. */
  senderLatencyMs: number;
}

export function parseSrtHandshakeInfo(content: Uint8Array): SrtHandshakeInfo {
  if (content.byteLength < 12) throw new SrtPacketError(`an HSREQ carries 12 bytes, got ${content.byteLength}`);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  return {
    srtVersion: view.getUint32(0),
    flags: view.getUint32(4),
    receiverLatencyMs: view.getUint16(8),
    senderLatencyMs: view.getUint16(10),
  };
}

export function writeSrtHandshakeInfo(info: SrtHandshakeInfo): Uint8Array {
  const content = new Uint8Array(12);
  const view = new DataView(content.buffer);
  view.setUint32(0, info.srtVersion);
  view.setUint32(4, info.flags);
  view.setUint16(8, info.receiverLatencyMs);
  view.setUint16(10, info.senderLatencyMs);
  return content;
}

/**
 * The stream id (SID extension): UTF-8, zero-padded to whole 32-bit words, and each word byte-
 * swapped, as libsrt writes it (it converts the text as if it were host-order integers).
 */
export function parseStreamId(content: Uint8Array): string {
  const bytes = swapWords(content);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}

export function writeStreamId(streamId: string): Uint8Array {
  const text = new TextEncoder().encode(streamId);
  if (text.byteLength > MAX_STREAM_ID_BYTES) throw new SrtPacketError(`a stream id has at most ${MAX_STREAM_ID_BYTES} bytes, got ${text.byteLength}`);
  const padded = new Uint8Array(paddedLength(text.byteLength));
  padded.set(text);
  return swapWords(padded);
}

function swapWords(bytes: Uint8Array): Uint8Array {
  const swapped = new Uint8Array(paddedLength(bytes.byteLength));
  for (let index = 0; index < bytes.byteLength; index++) swapped[(index & ~3) + 3 - (index & 3)] = bytes[index]!;
  return swapped;
}

function paddedLength(length: number): number {
  return Math.ceil(length / 4) * 4;
}
