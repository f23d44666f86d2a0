/**
 * 188-byte packet alignment over a byte stream that arrives in chunks of any size (SRT payloads,
 * pipe reads). Sync is taken on three sync bytes 188 apart, so a 0x47 inside garbage does not
 * pass for a packet; once in sync, a packet whose first byte is not 0x47 loses it, and the
 * bytes up to the next confirmed packet are skipped. Holds at most two packets' worth between
 * calls. No I/O.
 */
import { concatBytes } from '../media/byte-arrays.js';
import { TS_PACKET_SIZE } from '../media/ts-packet.js';

const TS_SYNC_BYTE = 0x47;
/** Sync bytes in a row, 188 apart, that make a position trusted. */
const SYNC_CONFIRMATIONS = 3;
const CONFIRM_SPAN = (SYNC_CONFIRMATIONS - 1) * TS_PACKET_SIZE;

/** Called with each whole packet at `data[offset..offset+188)`; `data` is only valid during the call. */
export type TsPacketVisitor = (data: Uint8Array, offset: number) => void;

export class TsPacketSync {
  private carry: Uint8Array = new Uint8Array(0);
  private synced = false;

  /** Hands every whole packet in `chunk` (after what earlier calls left) to `visit`; returns the bytes skipped as garbage. */
  push(chunk: Uint8Array, visit: TsPacketVisitor): number {
    const data = this.carry.length === 0 ? chunk : concatBytes(this.carry, chunk);
    let position = 0;
    let skipped = 0;
    while (position < data.length) {
      if (this.synced) {
        if (position + TS_PACKET_SIZE > data.length) break;
        if (data[position] === TS_SYNC_BYTE) {
          visit(data, position);
          position += TS_PACKET_SIZE;
          continue;
        }
        this.synced = false;
      }
      const found = findSync(data, position);
      skipped += found - position;
      position = found;
      // Not confirmed yet: keep the candidate (at most two packets and a bit) for the next chunk.
      if (position + CONFIRM_SPAN >= data.length) break;
      this.synced = true;
    }
    // A copy: the caller may reuse its chunk.
    this.carry = data.slice(position);
    return skipped;
  }

  /** Bytes held for the next call: a partial packet, or a sync candidate not yet confirmed. */
  get heldBytes(): number {
    return this.carry.length;
  }
}

/**
 * The first position from `start` that has a sync byte confirmed by the ones after it, or the
 * first position whose confirmation needs bytes not arrived yet (data.length when none).
 */
function findSync(data: Uint8Array, start: number): number {
  for (let candidate = start; candidate < data.length; candidate++) {
    if (data[candidate] !== TS_SYNC_BYTE) continue;
    let confirmed = true;
    for (let next = candidate + TS_PACKET_SIZE; next <= candidate + CONFIRM_SPAN; next += TS_PACKET_SIZE) {
      if (next >= data.length) return candidate;
      if (data[next] !== TS_SYNC_BYTE) {
        confirmed = false;
        break;
      }
    }
    if (confirmed) return candidate;
  }
  return data.length;
}

