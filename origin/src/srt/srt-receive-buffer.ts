/**
 * The receiving side of an SRT live connection, without I/O or clock: packets go in by sequence
 * number (31 bits, wrapping), payloads come out in order as soon as they are contiguous; the gaps
 * are the loss list a NAK reports. A gap the sender cannot fill in time is given up (too-late
 * packet drop): once the packet after it is due for play (its TSBPD time: the first packet's
 * arrival + its timestamp offset + the latency), or when the sender says it dropped them. At most
 * `capacityPackets` past the first missing one are held; more are refused.
 */
import { sequenceAdd, sequenceDistance } from './srt-sequence.js';
import type { LossRange } from './srt-control-fields.js';

export interface ReceiveBufferSettings {
  initialSequence: number;
  capacityPackets: number;
  latencyMs: number;
}

export type ReceiveOutcome = 'stored' | 'duplicate' | 'belated' | 'overflow';

export interface ReceiveResult {
  outcome: ReceiveOutcome;
  /** Payloads now deliverable, in order. */
  delivered: Uint8Array[];
  /** Gaps this packet revealed (to NAK at once). */
  newLosses: LossRange[];
}

/** A slot whose packet the sender gave up: skipped on delivery. */
const DROPPED = Symbol('dropped');
type Slot = Uint8Array | typeof DROPPED | undefined;

const MICROS_PER_MS = 1000;

export class SrtReceiveBuffer {
  private nextSequence: number;
  private highest: number;
  private readonly slots: Slot[];
  /** Unwrapped sender timestamps (µs) of the packets held, by slot. */
  private readonly timestamps: Float64Array;
  private losses: LossRange[] = [];
  private lastRawTimestamp = 0;
  private lastTimestampUs: number | undefined;
  /** Local time (ms) at which the sender's timestamp 0 would have arrived. */
  private tsbpdBaseMs = 0;
  private droppedCount = 0;
  private readonly slotCount: number;

  constructor(private readonly settings: ReceiveBufferSettings) {
    this.nextSequence = settings.initialSequence;
    this.highest = sequenceAdd(settings.initialSequence, -1);
    // A power of two divides 2^31, so slots stay distinct across the sequence number wrap.
    this.slotCount = 2 ** Math.ceil(Math.log2(Math.max(2, settings.capacityPackets)));
    this.slots = new Array<Slot>(this.slotCount);
    this.timestamps = new Float64Array(this.slotCount);
  }

  /** The ACK point: every packet before it is delivered or given up. */
  get acknowledged(): number {
    return this.nextSequence;
  }

  get lossList(): readonly LossRange[] {
    return this.losses;
  }

  /** Packets given up so far (never received in time). */
  get dropped(): number {
    return this.droppedCount;
  }

  get freePackets(): number {
    return this.settings.capacityPackets - (sequenceDistance(this.nextSequence, this.highest) + 1);
  }

  receive(sequence: number, timestampRaw: number, payload: Uint8Array, nowMs: number): ReceiveResult {
    const offset = sequenceDistance(this.nextSequence, sequence);
    if (offset < 0) return { outcome: 'belated', delivered: [], newLosses: [] };
    if (offset >= this.settings.capacityPackets) return { outcome: 'overflow', delivered: [], newLosses: [] };
    const slot = this.slotOf(sequence);
    if (this.slots[slot] !== undefined) return { outcome: 'duplicate', delivered: [], newLosses: [] };
    const timestampUs = this.unwrapTimestamp(timestampRaw, nowMs);
    const newLosses: LossRange[] = [];
    const ahead = sequenceDistance(this.highest, sequence);
    if (ahead > 0) {
      if (ahead > 1) {
        const gap = { first: sequenceAdd(this.highest, 1), last: sequenceAdd(sequence, -1) };
        this.losses.push(gap);
        newLosses.push(gap);
      }
      this.highest = sequence;
    } else {
      this.removeLosses(sequence, sequence);
    }
    this.slots[slot] = Uint8Array.prototype.slice.call(payload);
    this.timestamps[slot] = timestampUs;
    return { outcome: 'stored', delivered: this.deliverContiguous(), newLosses };
  }

  /** The sender dropped `range` (too late to send): stop waiting for it. */
  dropRequested(range: LossRange): Uint8Array[] {
    const count = sequenceDistance(range.first, range.last) + 1;
    for (let index = 0; index < Math.min(count, this.settings.capacityPackets); index++) {
      const sequence = sequenceAdd(range.first, index);
      const offset = sequenceDistance(this.nextSequence, sequence);
      if (offset < 0 || offset >= this.settings.capacityPackets) continue;
      const slot = this.slotOf(sequence);
      if (this.slots[slot] !== undefined) continue;
      this.slots[slot] = DROPPED;
      this.droppedCount += 1;
      if (sequenceDistance(this.highest, sequence) > 0) {
        if (sequenceDistance(this.highest, sequence) > 1) this.losses.push({ first: sequenceAdd(this.highest, 1), last: sequenceAdd(sequence, -1) });
        this.highest = sequence;
      } else {
        this.removeLosses(sequence, sequence);
      }
    }
    return this.deliverContiguous();
  }

  /** Gives up the gaps whose following packet is due for play by `nowMs`; returns what that frees. */
  releaseTooLate(nowMs: number): Uint8Array[] {
    const delivered: Uint8Array[] = [];
    for (let first = this.losses[0]; first && first.first === this.nextSequence; first = this.losses[0]) {
      const after = sequenceAdd(first.last, 1);
      const playAtMs = this.tsbpdBaseMs + this.timestamps[this.slotOf(after)]! / MICROS_PER_MS + this.settings.latencyMs;
      if (playAtMs > nowMs) break;
      this.droppedCount += sequenceDistance(first.first, first.last) + 1;
      this.losses.shift();
      for (let sequence = first.first; sequence !== after; sequence = sequenceAdd(sequence, 1)) this.slots[this.slotOf(sequence)] = undefined;
      this.nextSequence = after;
      delivered.push(...this.deliverContiguous());
    }
    return delivered;
  }

  private deliverContiguous(): Uint8Array[] {
    const delivered: Uint8Array[] = [];
    while (sequenceDistance(this.nextSequence, this.highest) >= 0) {
      const slot = this.slotOf(this.nextSequence);
      const held = this.slots[slot];
      if (held === undefined) break;
      if (held !== DROPPED) delivered.push(held);
      this.slots[slot] = undefined;
      this.nextSequence = sequenceAdd(this.nextSequence, 1);
    }
    return delivered;
  }

  /** Removes [first, last] from the loss list, splitting a range it falls inside. */
  private removeLosses(first: number, last: number): void {
    const kept: LossRange[] = [];
    for (const range of this.losses) {
      if (sequenceDistance(range.last, first) > 0 || sequenceDistance(last, range.first) > 0) {
        kept.push(range);
        continue;
      }
      if (sequenceDistance(range.first, first) > 0) kept.push({ first: range.first, last: sequenceAdd(first, -1) });
      if (sequenceDistance(last, range.last) > 0) kept.push({ first: sequenceAdd(last, 1), last: range.last });
    }
    this.losses = kept;
  }

  /** Sender timestamps are 32-bit µs and wrap every ~71 minutes; held ones are unwrapped. */
  private unwrapTimestamp(raw: number, nowMs: number): number {
    if (this.lastTimestampUs === undefined) {
      this.lastTimestampUs = raw;
      this.lastRawTimestamp = raw;
      this.tsbpdBaseMs = nowMs - raw / MICROS_PER_MS;
      return raw;
    }
    const unwrapped = this.lastTimestampUs + ((raw - this.lastRawTimestamp) | 0);
    if (unwrapped > this.lastTimestampUs) {
      this.lastTimestampUs = unwrapped;
      this.lastRawTimestamp = raw;
    }
    return unwrapped;
  }

  private slotOf(sequence: number): number {
    return sequence % this.slotCount;
  }
}
