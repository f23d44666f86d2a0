/**
 * RTMP chunks back to messages (RTMP spec 1.0, section 5.3), for what a server sends a
 * publisher: control messages, commands and the odd data message. Set Chunk Size and Abort are
 * applied here, because the very next chunk already depends on them.
 *
 * The server is not trusted: a target may be anyone's RTMP server. What it can make us hold is
 * bounded (chunk streams, bytes of unfinished chunks and messages), and an unfinished chunk is
 * parsed again only once the bytes it needs are there, so trickling a chunk costs no re-parsing.
 */
import { TargetProtocolError } from './restream-errors.js';
import { DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP, type RtmpMessage } from './rtmp-chunk-writer.js';

const MSG_SET_CHUNK_SIZE = 1;
const MSG_ABORT = 2;
/** Message headers of chunk formats 0, 1, 2 and 3. */
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;
/** The spec's largest chunk size (31 bits); a server asking for more is broken. */
const MAX_CHUNK_SIZE = 0x7fffffff;
/** A server's command is small: a bigger message is garbage we must not buffer. */
export const MAX_INCOMING_MESSAGE = 1024 * 1024;
/** Servers use a handful of chunk streams (2 for control, 3 to 8 for commands and data). */
export const MAX_CHUNK_STREAMS = 64;
/** Unfinished chunks and messages held at once, over all chunk streams. */
export const MAX_HELD_BYTES = 2 * MAX_INCOMING_MESSAGE;

interface ChunkStreamState {
  streamId: number;
  type: number;
  length: number;
  /** Of the message being assembled (or the last one). */
  timestamp: number;
  /** The last timestamp field as sent: a type 3 header reuses it as the delta. */
  field: number;
  extended: boolean;
  /** The message being assembled, if a chunk of it is missing. */
  parts: Uint8Array[];
  received: number;
}

export class ChunkReader {
  private chunkSize = DEFAULT_CHUNK_SIZE;
  /** Received bytes not parsed yet: the start of an unfinished chunk, at the front of `pending`. */
  private pending: Uint8Array = new Uint8Array(0);
  private pendingLength = 0;
  /** How many bytes the unfinished chunk needs before parsing it again can succeed. */
  private needed = 0;
  /** Bytes of messages whose first chunks arrived and whose last has not. */
  private partialBytes = 0;
  private readonly streams = new Map<number, ChunkStreamState>();

  /** Bytes of unfinished chunks and messages held: 0 when the server's last message was complete. */
  get heldBytes(): number {
    return this.pendingLength + this.partialBytes;
  }

  /** Every message completed by `data`; a chunk cut short waits for the next call. */
  read(data: Uint8Array): RtmpMessage[] {
    if (this.pendingLength + data.length < this.needed) {
      this.hold(data);
      return [];
    }
    let buffer = data;
    if (this.pendingLength > 0) {
      this.hold(data);
      buffer = this.pending.subarray(0, this.pendingLength);
    }
    const messages: RtmpMessage[] = [];
    let offset = 0;
    this.needed = 0;
    for (;;) {
      const next = this.readChunk(buffer, offset, messages);
      if (next === undefined) break;
      offset = next;
    }
    const rest = buffer.subarray(offset);
    if (buffer === data) {
      this.pendingLength = 0;
      this.hold(rest);
    } else {
      this.pending.copyWithin(0, offset, this.pendingLength);
      this.pendingLength = rest.length;
    }
    this.checkHeld();
    return messages;
  }

  /** Appends to `pending`, growing it by doubling. */
  private hold(data: Uint8Array): void {
    const length = this.pendingLength + data.length;
    if (length > this.pending.length) {
      const grown = new Uint8Array(Math.max(length, this.pending.length * 2, 256));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(data, this.pendingLength);
    this.pendingLength = length;
    this.checkHeld();
  }

  private checkHeld(): void {
    if (this.heldBytes > MAX_HELD_BYTES) {
      throw new TargetProtocolError(`the server left more than ${MAX_HELD_BYTES} bytes of chunks and messages unfinished`);
    }
  }

  /** The chunk at `offset` needs `end - offset` bytes: undefined, to parse it again once they are there. */
  private incomplete(offset: number, end: number): undefined {
    this.needed = end - offset;
    return undefined;
  }

  /** Parses one chunk at `offset`; undefined when it is not all there yet. */
  private readChunk(data: Uint8Array, offset: number, messages: RtmpMessage[]): number | undefined {
    if (offset >= data.length) return this.incomplete(offset, offset + 1);
    // Basic header: fmt (2 bits), chunk stream id (6 bits; 0 and 1 mean 8 or 16 more bits).
    const fmt = data[offset]! >> 6;
    let csid = data[offset]! & 0x3f;
    let at = offset + 1;
    if (csid === 0) {
      if (at + 1 > data.length) return this.incomplete(offset, at + 1);
      csid = 64 + data[at]!;
      at += 1;
    } else if (csid === 1) {
      if (at + 2 > data.length) return this.incomplete(offset, at + 2);
      csid = 64 + data[at]! + data[at + 1]! * 256;
      at += 2;
    }
    const headerSize = MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2 | 3];
    if (at + headerSize > data.length) return this.incomplete(offset, at + headerSize);

    const previous = this.streams.get(csid);
    if (!previous && fmt !== 0) throw new TargetProtocolError(`chunk stream ${csid} starts without a type 0 header`);
    if (!previous && this.streams.size >= MAX_CHUNK_STREAMS) {
      throw new TargetProtocolError(`the server used more than ${MAX_CHUNK_STREAMS} chunk streams`);
    }
    const state: ChunkStreamState = previous ?? {
      streamId: 0, type: 0, length: 0, timestamp: 0, field: 0, extended: false, parts: [], received: 0,
    };
    const startsMessage = state.received === 0;
    let field = state.field;
    let extended = state.extended;
    let length = state.length;
    let type = state.type;
    let streamId = state.streamId;
    if (fmt <= 2) {
      field = readUint24(data, at);
      extended = field === EXTENDED_TIMESTAMP;
    }
    if (fmt <= 1) {
      length = readUint24(data, at + 3);
      type = data[at + 6]!;
    }
    if (fmt === 0) streamId = new DataView(data.buffer, data.byteOffset).getUint32(at + 7, true);
    at += headerSize;
    if (extended) {
      if (at + 4 > data.length) return this.incomplete(offset, at + 4);
      field = new DataView(data.buffer, data.byteOffset).getUint32(at);
      at += 4;
    }
    if (!startsMessage && fmt !== 3) throw new TargetProtocolError(`chunk stream ${csid}: a new header in the middle of a message`);
    if (length > MAX_INCOMING_MESSAGE) throw new TargetProtocolError(`the server sent a ${length}-byte message, more than a command can be`);
    const take = Math.min(this.chunkSize, length - state.received);
    if (at + take > data.length) return this.incomplete(offset, at + take);

    // The chunk is complete: only now may the state change, so a partial one can be re-read.
    state.field = field;
    state.extended = extended;
    state.length = length;
    state.type = type;
    state.streamId = streamId;
    if (startsMessage) state.timestamp = fmt === 0 ? field : (state.timestamp + field) % 2 ** 32;
    this.streams.set(csid, state);
    state.parts.push(data.slice(at, at + take));
    state.received += take;
    this.partialBytes += take;
    if (state.received >= state.length) {
      const payload = concat(state.parts, state.length);
      this.partialBytes -= state.received;
      state.parts = [];
      state.received = 0;
      this.deliver({ csid, type: state.type, streamId: state.streamId, timestamp: state.timestamp, payload }, messages);
    }
    return at + take;
  }

  private deliver(message: RtmpMessage, messages: RtmpMessage[]): void {
    const view = new DataView(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    if (message.type === MSG_SET_CHUNK_SIZE) {
      if (message.payload.length < 4) throw new TargetProtocolError('Set Chunk Size without a size');
      // The top bit must be zero (31-bit size).
      const size = view.getUint32(0) & MAX_CHUNK_SIZE;
      if (size < 1) throw new TargetProtocolError('Set Chunk Size of 0');
      this.chunkSize = size;
      return;
    }
    if (message.type === MSG_ABORT) {
      if (message.payload.length < 4) return;
      const aborted = this.streams.get(view.getUint32(0));
      if (aborted) {
        this.partialBytes -= aborted.received;
        aborted.parts = [];
        aborted.received = 0;
      }
      return;
    }
    messages.push(message);
  }
}

function readUint24(data: Uint8Array, offset: number): number {
  return (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
