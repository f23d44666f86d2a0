/**
 * Messages to chunks the way a fuzzer wants them, not the way our push client sends them: any
 * chunk size, any chunk stream ids (1-, 2- and 3-byte forms), the chunks of several messages
 * interleaved, full or compressed headers. It also says where each message's length field is, so
 * a mutation can lie about it. Output stops at `maxBytes` (a session is cut there anyway): even a
 * 12 MB message in 1-byte chunks costs no more than that. Pure.
 */
import { EXTENDED_TIMESTAMP, basicHeaderSize, writeBasicHeader, writeUint24, type RtmpMessage } from '../origin/src/restream/rtmp-chunk-writer.js';

export interface ChunkLayout {
  chunkSize: number;
  /** The chunk stream id of each message. */
  csids: readonly number[];
  /** How many consecutive messages have their chunks interleaved (1: none). */
  interleave: number;
  /** Type 1 headers (timestamp delta) where the spec allows them, as encoders do; else all type 0. */
  compress: boolean;
}

export interface LaidOutChunks {
  bytes: Uint8Array;
  /** Offset of each message's 24-bit length field in `bytes`; -1 when it was not written. */
  lengthFields: number[];
}

interface PendingMessage {
  index: number;
  message: RtmpMessage;
  sent: number;
  /** The first header's extended timestamp, which every type 3 chunk of the message repeats. */
  extendedField?: number;
}

/** The largest chunk header: 3-byte basic header, 11-byte message header, extended timestamp. */
const MAX_HEADER_SIZE = 3 + 11 + 4;

export function layOutChunks(messages: readonly RtmpMessage[], layout: ChunkLayout, maxBytes: number): LaidOutChunks {
  const out = new Uint8Array(maxBytes);
  const view = new DataView(out.buffer);
  const lengthFields: number[] = new Array<number>(messages.length).fill(-1);
  const last = new Map<number, { streamId: number; timestamp: number }>();
  let size = 0;

  /** Writes the next chunk of `pending` (or what fits of it); false once the output is full. */
  const writeChunk = (pending: PendingMessage): boolean => {
    const { message, index } = pending;
    const csid = layout.csids[index] ?? 3;
    const timestamp = message.timestamp % 2 ** 32;
    const first = pending.sent === 0;
    const previous = last.get(csid);
    const fmt = !first ? 3 : layout.compress && previous && previous.streamId === message.streamId && timestamp >= previous.timestamp ? 1 : 0;
    const field = !first ? (pending.extendedField ?? 0) : fmt === 0 ? timestamp : timestamp - (previous?.timestamp ?? 0);
    const extended = first ? field >= EXTENDED_TIMESTAMP : pending.extendedField !== undefined;
    if (first && extended) pending.extendedField = field;
    const room = out.length - size - MAX_HEADER_SIZE;
    if (room < 0) return false;
    const whole = Math.min(layout.chunkSize, message.payload.length - pending.sent);
    const take = Math.min(whole, room);
    let at = writeBasicHeader(out, size, fmt, csid);
    if (fmt <= 1) {
      // Timestamp or delta (24 bits), message length (24 bits), message type id (8 bits).
      writeUint24(out, at, extended ? EXTENDED_TIMESTAMP : field);
      writeUint24(out, at + 3, message.payload.length);
      lengthFields[index] = at + 3;
      out[at + 6] = message.type;
      at += 7;
      if (fmt === 0) {
        // Message stream id (32 bits, little-endian).
        view.setUint32(at, message.streamId, true);
        at += 4;
      }
    }
    if (extended) {
      view.setUint32(at, field);
      at += 4;
    }
    if (take > 64) out.set(message.payload.subarray(pending.sent, pending.sent + take), at);
    // Tiny chunks (a fuzzer's favourite): a loop beats a subarray per chunk by far.
    else for (let i = 0; i < take; i += 1) out[at + i] = message.payload[pending.sent + i]!;
    size = at + take;
    pending.sent += take;
    if (first) last.set(csid, { streamId: message.streamId, timestamp });
    return take === whole;
  };

  const group = Math.max(1, layout.interleave);
  layout: for (let start = 0; start < messages.length; start += group) {
    const pending: PendingMessage[] = messages.slice(start, start + group).map((message, offset) => ({ index: start + offset, message, sent: 0 }));
    // Round robin over the group, one chunk each; a message of length 0 still has its one chunk.
    let open = pending;
    do {
      for (const message of open) if (!writeChunk(message)) break layout;
      open = open.filter((message) => message.sent < message.message.payload.length);
    } while (open.length > 0);
  }
  return { bytes: out.subarray(0, size), lengthFields };
}
