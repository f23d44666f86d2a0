/**
 * RTMP messages to chunks (RTMP spec 1.0, section 5.3). A message's first chunk has a type 0
 * header (full) or, when its chunk stream already carried a message of the same message stream
 * at an earlier or equal time, a type 1 header (timestamp delta); the rest of the message
 * follows in type 3 chunks. Type 2 would save 4 bytes a frame and is not worth the state.
 */

export interface RtmpMessage {
  /** Chunk stream id, 2..65599: which header state the message compresses against. */
  csid: number;
  /** Message type id: 8 audio, 9 video, 18 data, 20 command... */
  type: number;
  /** Message stream id: 0 for the connection, the id from createStream for media. */
  streamId: number;
  /** Milliseconds; sent modulo 2^32 as the spec's timestamps wrap. */
  timestamp: number;
  payload: Uint8Array;
}

export const DEFAULT_CHUNK_SIZE = 128;
/** Timestamps and deltas from this value on go in the 32-bit extended timestamp field. */
export const EXTENDED_TIMESTAMP = 0xffffff;
const TIMESTAMP_WRAP = 2 ** 32;

interface ChunkStreamState {
  streamId: number;
  timestamp: number;
}

export class ChunkWriter {
  /** Our outgoing chunk size; change it only right after sending Set Chunk Size. */
  chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly last = new Map<number, ChunkStreamState>();

  /** All the chunks of one message, in one buffer. */
  encode(message: RtmpMessage): Uint8Array {
    const { csid, payload } = message;
    const timestamp = message.timestamp % TIMESTAMP_WRAP;
    const previous = this.last.get(csid);
    // A timestamp going back (or wrapping) cannot be a delta: type 1 deltas are unsigned.
    const fmt = previous && previous.streamId === message.streamId && timestamp >= previous.timestamp ? 1 : 0;
    const field = fmt === 0 ? timestamp : timestamp - (previous?.timestamp ?? 0);
    const extended = field >= EXTENDED_TIMESTAMP;
    this.last.set(csid, { streamId: message.streamId, timestamp });

    const basicSize = basicHeaderSize(csid);
    const extendedSize = extended ? 4 : 0;
    const chunks = Math.max(1, Math.ceil(payload.length / this.chunkSize));
    const size = basicSize + (fmt === 0 ? 11 : 7) + extendedSize + payload.length + (chunks - 1) * (basicSize + extendedSize);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);

    let offset = writeBasicHeader(out, 0, fmt, csid);
    // Timestamp or delta (24 bits), message length (24 bits), message type id (8 bits).
    writeUint24(out, offset, extended ? EXTENDED_TIMESTAMP : field);
    writeUint24(out, offset + 3, payload.length);
    out[offset + 6] = message.type;
    offset += 7;
    if (fmt === 0) {
      // Message stream id (32 bits), little-endian unlike every other RTMP field.
      view.setUint32(offset, message.streamId, true);
      offset += 4;
    }
    if (extended) {
      view.setUint32(offset, field);
      offset += 4;
    }
    for (let start = 0; start < payload.length; start += this.chunkSize) {
      if (start > 0) {
        offset = writeBasicHeader(out, offset, 3, csid);
        // Type 3 chunks repeat the extended timestamp (spec 5.3.1.3; nginx, ffmpeg and NMS expect it).
        if (extended) {
          view.setUint32(offset, field);
          offset += 4;
        }
      }
      const end = Math.min(start + this.chunkSize, payload.length);
      out.set(payload.subarray(start, end), offset);
      offset += end - start;
    }
    return out;
  }
}

export function basicHeaderSize(csid: number): number {
  if (csid < 2 || csid > 65599) throw new RangeError(`chunk stream id ${csid} is out of range`);
  if (csid < 64) return 1;
  return csid < 320 ? 2 : 3;
}

/** fmt (2 bits), then the chunk stream id in 6 bits, or 0/1 and 8/16 more bits (id - 64). */
export function writeBasicHeader(out: Uint8Array, offset: number, fmt: number, csid: number): number {
  const size = basicHeaderSize(csid);
  if (size === 1) {
    out[offset] = (fmt << 6) | csid;
  } else if (size === 2) {
    out[offset] = fmt << 6;
    out[offset + 1] = csid - 64;
  } else {
    out[offset] = (fmt << 6) | 1;
    // The 16-bit form is little-endian: (third byte) * 256 + (second byte) + 64.
    out[offset + 1] = (csid - 64) & 0xff;
    out[offset + 2] = (csid - 64) >> 8;
  }
  return offset + size;
}

export function writeUint24(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >> 16) & 0xff;
  out[offset + 1] = (value >> 8) & 0xff;
  out[offset + 2] = value & 0xff;
}
