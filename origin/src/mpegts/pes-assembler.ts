/**
 * Reassembles the PES packets of one elementary PID from its TS packets, checking continuity
 * counters (ITU-T H.222.0 2.4.3.3): a lost, damaged or oversized piece drops the PES it belongs
 * to (reported, never passed on half-made) and the next payload_unit_start begins afresh. A PES
 * with a PES_packet_length completes with its last byte; one without (video) completes when the
 * next one starts. Memory per PID is bounded by `maxPesBytes`.
 */
import type { TsPacketHeader } from './ts-packet-header.js';

/** What happened to a PES: complete (bytes valid until the next call), or dropped and why. */
export type PesOutcome = { kind: 'pes'; data: Uint8Array } | { kind: 'dropped'; reason: string };

const INITIAL_BUFFER_BYTES = 16 * 1024;
/** packet_start_code_prefix, stream_id and PES_packet_length come before the counted bytes. */
const PES_LENGTH_FIELD_END = 6;

export class PesAssembler {
  private buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  private length = 0;
  /** Bytes of the PES in progress when its header gave a length; 0 when unbounded or unknown yet. */
  private expected = 0;
  /** A PES is in progress and intact so far. */
  private collecting = false;
  private lastCounter = -1;

  constructor(private readonly maxPesBytes: number) {}

  /** Takes one packet of this PID; `report` gets every PES it completes or drops. */
  push(header: TsPacketHeader, data: Uint8Array, end: number, report: (outcome: PesOutcome) => void): void {
    if (header.transportError) {
      this.drop('a TS packet arrived damaged (transport_error_indicator)', report);
      this.lastCounter = -1;
      return;
    }
    if (!header.hasPayload) return;
    const counter = header.continuityCounter;
    if (this.lastCounter >= 0 && !header.discontinuity) {
      // H.222.0 allows a packet to be sent twice in a row: the copy carries nothing new.
      if (counter === this.lastCounter) return;
      const lost = (counter - this.lastCounter - 1) & 0x0f;
      if (lost !== 0) this.drop(`${lost} TS packet(s) lost (continuity counter ${this.lastCounter} then ${counter})`, report);
    }
    this.lastCounter = counter;
    if (header.scrambled) {
      this.drop('scrambled (encrypted) TS payload', report);
      return;
    }
    if (header.payloadUnitStart) {
      if (this.collecting) {
        if (this.expected === 0) report({ kind: 'pes', data: this.buffer.subarray(0, this.length) });
        else this.drop(`PES cut short: ${this.length} of ${this.expected} bytes before the next one started`, report);
      }
      this.collecting = true;
      this.length = 0;
      this.expected = 0;
    } else if (!this.collecting) {
      return;
    }
    this.append(data, header.payloadStart, end, report);
  }

  /** The stream ended: an unbounded PES in progress is complete, a bounded one is cut short. */
  flush(report: (outcome: PesOutcome) => void): void {
    if (!this.collecting) return;
    if (this.expected === 0 && this.length > 0) report({ kind: 'pes', data: this.buffer.subarray(0, this.length) });
    else this.drop('the stream ended inside a PES', report);
    this.collecting = false;
  }

  private append(data: Uint8Array, start: number, end: number, report: (outcome: PesOutcome) => void): void {
    const size = end - start;
    if (this.length + size > this.maxPesBytes) {
      this.drop(`PES larger than ${this.maxPesBytes} bytes`, report);
      return;
    }
    if (this.length + size > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.maxPesBytes, Math.max(this.length + size, this.buffer.length * 2)));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    const hadLengthField = this.length >= PES_LENGTH_FIELD_END;
    this.buffer.set(data.subarray(start, end), this.length);
    this.length += size;
    if (!hadLengthField && this.length >= PES_LENGTH_FIELD_END) {
      // PES_packet_length (16 bits): bytes after the field; 0 means unbounded (video only).
      const packetLength = (this.buffer[4]! << 8) | this.buffer[5]!;
      this.expected = packetLength === 0 ? 0 : PES_LENGTH_FIELD_END + packetLength;
    }
    if (this.expected > 0 && this.length >= this.expected) {
      this.collecting = false;
      report({ kind: 'pes', data: this.buffer.subarray(0, this.expected) });
    }
  }

  private drop(reason: string, report: (outcome: PesOutcome) => void): void {
    if (!this.collecting) return;
    this.collecting = false;
    report({ kind: 'dropped', reason });
  }
}
