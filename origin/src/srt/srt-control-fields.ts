/**
 * Control information fields of the control packets a receiver exchanges (draft-sharabayko-srt
 * §3.2.4-3.2.9): ACK, NAK with its loss list, drop request. Keepalive, shutdown and ACKACK carry no
 * information; like libsrt we send 4 zero bytes with them.
 */
import { SrtPacketError } from './srt-packet.js';

export const EMPTY_CIF: Uint8Array = new Uint8Array(4);

/** A full ACK: what the receiver has and how it is doing. A light ACK carries only `lastAcknowledged`. */
export interface AckFields {
  /** The sequence number of the next packet expected: every packet before it is received (or given up). */
  lastAcknowledged: number;
  rttUs: number;
  rttVarianceUs: number;
  /** Free space in the receive buffer, in packets. */
  availableBufferPackets: number;
  packetsPerSecond: number;
  linkCapacityPacketsPerSecond: number;
  bytesPerSecond: number;
}

export function writeAck(fields: AckFields): Uint8Array {
  const cif = new Uint8Array(28);
  const view = new DataView(cif.buffer);
  const words = [
    fields.lastAcknowledged,
    fields.rttUs,
    fields.rttVarianceUs,
    fields.availableBufferPackets,
    fields.packetsPerSecond,
    fields.linkCapacityPacketsPerSecond,
    fields.bytesPerSecond,
  ];
  words.forEach((word, index) => view.setUint32(index * 4, Math.max(0, Math.min(0xffff_ffff, Math.round(word))) >>> 0));
  return cif;
}

/** Reads an ACK's fields; a light ACK (4 bytes) leaves the rest at 0. */
export function parseAck(cif: Uint8Array): AckFields {
  if (cif.byteLength < 4) throw new SrtPacketError(`an ACK carries at least 4 bytes, got ${cif.byteLength}`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const word = (index: number) => (cif.byteLength >= (index + 1) * 4 ? view.getUint32(index * 4) : 0);
  return {
    lastAcknowledged: word(0) & 0x7fff_ffff,
    rttUs: word(1),
    rttVarianceUs: word(2),
    availableBufferPackets: word(3),
    packetsPerSecond: word(4),
    linkCapacityPacketsPerSecond: word(5),
    bytesPerSecond: word(6),
  };
}

/** An inclusive range of lost sequence numbers (`first === last` for one packet). */
export interface LossRange {
  first: number;
  last: number;
}

/**
 * A NAK's loss list: one packet is its sequence number, a range is the first with bit 31 set
 * followed by the last. At most `maxBytes` are written (the ranges that fit; the rest wait for the
 * next periodic NAK).
 */
export function writeLossList(ranges: readonly LossRange[], maxBytes = 1400): Uint8Array {
  const words: number[] = [];
  for (const { first, last } of ranges) {
    const needed = first === last ? 1 : 2;
    if ((words.length + needed) * 4 > maxBytes) break;
    if (first === last) words.push(first);
    else words.push((0x8000_0000 | first) >>> 0, last);
  }
  const cif = new Uint8Array(words.length * 4);
  const view = new DataView(cif.buffer);
  words.forEach((word, index) => view.setUint32(index * 4, word));
  return cif;
}

export function parseLossList(cif: Uint8Array): LossRange[] {
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const ranges: LossRange[] = [];
  for (let offset = 0; offset + 4 <= cif.byteLength; offset += 4) {
    const word = view.getUint32(offset);
    if ((word & 0x8000_0000) === 0) {
      ranges.push({ first: word, last: word });
      continue;
    }
    if (offset + 8 > cif.byteLength) throw new SrtPacketError('a loss range lacks its last sequence number');
    offset += 4;
    ranges.push({ first: word & 0x7fff_ffff, last: view.getUint32(offset) & 0x7fff_ffff });
  }
  return ranges;
}

/** A drop request: the sender gave up these packets (too late to send); the receiver stops waiting. */
export function parseDropRequest(cif: Uint8Array): LossRange {
  if (cif.byteLength < 8) throw new SrtPacketError(`a drop request carries 8 bytes, got ${cif.byteLength}`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  return { first: view.getUint32(0) & 0x7fff_ffff, last: view.getUint32(4) & 0x7fff_ffff };
}

export function writeDropRequest(range: LossRange): Uint8Array {
  const cif = new Uint8Array(8);
  const view = new DataView(cif.buffer);
  view.setUint32(0, range.first);
  view.setUint32(4, range.last);
  return cif;
}
