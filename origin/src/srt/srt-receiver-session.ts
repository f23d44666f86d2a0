/**
 * One accepted SRT live connection, receiver side, without sockets or timers: packets and clock
 * ticks go in; payloads (in order) and control packets to send come out.
 *
 * - Full ACK every ACK_INTERVAL_MS when something new arrived (the sender frees its buffer by
 *   them); the caller's ACKACK gives the RTT (smoothed as libsrt: 7/8 and 3/4).
 * - NAK at once for a new gap, and the whole loss list again every max(20 ms, (RTT + 4·RTTVar)/2)
 *   (periodic NAK: a lost NAK or a lost retransmission is asked for again).
 * - Keepalive after a second without sending; the caller silent for `idleTimeoutMs` is dropped.
 */
import { CONTROL_TYPE, writeControlPacket, type SrtPacket } from './srt-packet.js';
import { EMPTY_CIF, parseDropRequest, writeAck, writeLossList } from './srt-control-fields.js';
import { SrtReceiveBuffer } from './srt-receive-buffer.js';
import { sequenceDistance } from './srt-sequence.js';
import type { SrtDecryptor } from './srt-decryptor.js';

export const ACK_INTERVAL_MS = 10;
const MIN_NAK_INTERVAL_MS = 20;
const KEEPALIVE_INTERVAL_MS = 1000;
/** ACKs remembered for their ACKACK (about a second's worth at one per 10 ms). */
const ACKS_REMEMBERED = 128;
/** Subtypes of the user-defined control type that carry key material in-band. */
const KMREQ_SUBTYPE = 3;
const KMRSP_SUBTYPE = 4;

export interface ReceiverSessionSettings {
  localSocketId: number;
  peerSocketId: number;
  initialSequence: number;
  latencyMs: number;
  capacityPackets: number;
  idleTimeoutMs: number;
  /** Local clock (ms) when the connection started: our packets' timestamps count from it. */
  startMs: number;
  /** An encrypting caller's keys. */
  decryptor?: SrtDecryptor | undefined;
}

export type SessionEnd = 'shutdown' | 'idle';

export interface SessionOutput {
  /** Payloads to hand to the consumer, in order. */
  payloads: Uint8Array[];
  /** Control packets for the caller. */
  send: Uint8Array[];
  /** Set when the connection is over; a shutdown to send is in `send`. */
  ended?: SessionEnd;
}

export interface SessionStats {
  receivedPackets: number;
  receivedBytes: number;
  retransmittedPackets: number;
  droppedPackets: number;
  refusedPackets: number;
  rttMs: number;
}

export class SrtReceiverSession {
  private readonly buffer: SrtReceiveBuffer;
  private lastHeardMs: number;
  private lastSentMs: number;
  private lastAckMs: number;
  private lastNakMs: number;
  private ackedSequence: number;
  private dataSinceAck = false;
  private nextAckNumber = 1;
  private readonly ackSentAt = new Map<number, number>();
  private rttUs = 100_000;
  private rttVarianceUs = 50_000;
  private ended: SessionEnd | undefined;
  private readonly rate = { windowStartMs: 0, packets: 0, bytes: 0, packetsPerSecond: 0, bytesPerSecond: 0 };
  private readonly counts = { receivedPackets: 0, receivedBytes: 0, retransmittedPackets: 0, refusedPackets: 0 };

  constructor(private readonly settings: ReceiverSessionSettings) {
    this.buffer = new SrtReceiveBuffer({ initialSequence: settings.initialSequence, capacityPackets: settings.capacityPackets, latencyMs: settings.latencyMs });
    this.lastHeardMs = this.lastSentMs = this.lastAckMs = this.lastNakMs = this.rate.windowStartMs = settings.startMs;
    this.ackedSequence = settings.initialSequence;
  }

  get stats(): SessionStats {
    return { ...this.counts, droppedPackets: this.buffer.dropped, rttMs: this.rttUs / 1000 };
  }

  handle(packet: SrtPacket, nowMs: number): SessionOutput {
    const output: SessionOutput = { payloads: [], send: [] };
    if (this.ended) return output;
    this.lastHeardMs = nowMs;
    if (packet.kind === 'data') {
      this.counts.receivedPackets += 1;
      this.counts.receivedBytes += packet.payload.byteLength;
      if (packet.retransmitted) this.counts.retransmittedPackets += 1;
      this.rate.packets += 1;
      this.rate.bytes += packet.payload.byteLength;
      const payload = packet.encryption === 0 ? packet.payload : this.settings.decryptor?.decrypt(packet.payload, packet.sequence, packet.encryption);
      if (!payload) {
        // Encrypted with a key we were not given (or encrypted when no passphrase was agreed).
        this.counts.refusedPackets += 1;
        return output;
      }
      const result = this.buffer.receive(packet.sequence, packet.timestampUs, payload, nowMs);
      if (result.outcome === 'overflow') this.counts.refusedPackets += 1;
      this.dataSinceAck = true;
      output.payloads = result.delivered;
      if (result.newLosses.length > 0) output.send.push(this.control(CONTROL_TYPE.nak, 0, writeLossList(result.newLosses), nowMs));
      return output;
    }
    switch (packet.controlType) {
      case CONTROL_TYPE.ackack: {
        const sentAt = this.ackSentAt.get(packet.typeInfo);
        if (sentAt === undefined) break;
        this.ackSentAt.delete(packet.typeInfo);
        const sampleUs = Math.max(0, (nowMs - sentAt) * 1000);
        this.rttVarianceUs = (3 * this.rttVarianceUs + Math.abs(this.rttUs - sampleUs)) / 4;
        this.rttUs = (7 * this.rttUs + sampleUs) / 8;
        break;
      }
      case CONTROL_TYPE.dropRequest:
        output.payloads = this.buffer.dropRequested(parseDropRequest(packet.cif));
        break;
      case CONTROL_TYPE.userDefined:
        // The sender's new keys (KMREQ), answered with the same material (KMRSP) once they unwrap.
        if (packet.subtype === KMREQ_SUBTYPE && this.settings.decryptor) {
          try {
            this.settings.decryptor.refresh(packet.cif);
            output.send.push(this.control(CONTROL_TYPE.userDefined, 0, packet.cif, nowMs, KMRSP_SUBTYPE));
          } catch {
            // Not our passphrase's keys: its packets will not decrypt and are counted as refused.
          }
        }
        break;
      case CONTROL_TYPE.shutdown:
        this.ended = 'shutdown';
        output.ended = 'shutdown';
        break;
      default:
        // Keepalives only prove the caller is there; what else a sender may send is not ours to act on.
        break;
    }
    return output;
  }

  tick(nowMs: number): SessionOutput {
    const output: SessionOutput = { payloads: [], send: [] };
    if (this.ended) return output;
    if (nowMs - this.lastHeardMs >= this.settings.idleTimeoutMs) {
      this.ended = 'idle';
      output.ended = 'idle';
      output.send.push(this.control(CONTROL_TYPE.shutdown, 0, EMPTY_CIF, nowMs));
      return output;
    }
    output.payloads = this.buffer.releaseTooLate(nowMs);
    if (nowMs - this.rate.windowStartMs >= 1000) {
      const seconds = (nowMs - this.rate.windowStartMs) / 1000;
      this.rate.packetsPerSecond = this.rate.packets / seconds;
      this.rate.bytesPerSecond = this.rate.bytes / seconds;
      this.rate.packets = this.rate.bytes = 0;
      this.rate.windowStartMs = nowMs;
    }
    if (nowMs - this.lastAckMs >= ACK_INTERVAL_MS && (this.dataSinceAck || sequenceDistance(this.ackedSequence, this.buffer.acknowledged) !== 0)) {
      output.send.push(this.ack(nowMs));
    }
    const nakIntervalMs = Math.max(MIN_NAK_INTERVAL_MS, (this.rttUs + 4 * this.rttVarianceUs) / 2000);
    if (this.buffer.lossList.length > 0 && nowMs - this.lastNakMs >= nakIntervalMs) {
      this.lastNakMs = nowMs;
      output.send.push(this.control(CONTROL_TYPE.nak, 0, writeLossList(this.buffer.lossList), nowMs));
    }
    if (nowMs - this.lastSentMs >= KEEPALIVE_INTERVAL_MS) output.send.push(this.control(CONTROL_TYPE.keepalive, 0, EMPTY_CIF, nowMs));
    return output;
  }

  /** Our shutdown, to send when we close the connection. */
  shutdown(nowMs: number): Uint8Array {
    this.ended = 'shutdown';
    return this.control(CONTROL_TYPE.shutdown, 0, EMPTY_CIF, nowMs);
  }

  private ack(nowMs: number): Uint8Array {
    this.lastAckMs = nowMs;
    this.dataSinceAck = false;
    this.ackedSequence = this.buffer.acknowledged;
    const ackNumber = this.nextAckNumber;
    this.nextAckNumber = (this.nextAckNumber + 1) >>> 0 || 1;
    this.ackSentAt.set(ackNumber, nowMs);
    if (this.ackSentAt.size > ACKS_REMEMBERED) this.ackSentAt.delete(this.ackSentAt.keys().next().value!);
    const cif = writeAck({
      lastAcknowledged: this.buffer.acknowledged,
      rttUs: this.rttUs,
      rttVarianceUs: this.rttVarianceUs,
      availableBufferPackets: Math.max(2, this.buffer.freePackets),
      packetsPerSecond: this.rate.packetsPerSecond,
      linkCapacityPacketsPerSecond: this.rate.packetsPerSecond,
      bytesPerSecond: this.rate.bytesPerSecond,
    });
    return this.control(CONTROL_TYPE.ack, ackNumber, cif, nowMs);
  }

  private control(controlType: number, typeInfo: number, cif: Uint8Array, nowMs: number, subtype = 0): Uint8Array {
    this.lastSentMs = nowMs;
    return writeControlPacket({
      controlType,
      subtype,
      typeInfo,
      timestampUs: Math.max(0, Math.round((nowMs - this.settings.startMs) * 1000)) % 2 ** 32,
      destinationSocketId: this.settings.peerSocketId,
      cif,
    });
  }
}
