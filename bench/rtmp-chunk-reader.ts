/**
 * Reads the client-to-server half of an RTMP connection just far enough to see when each video
 * keyframe has been sent: handshake skipped, chunk headers parsed, payloads skipped except the
 * two bytes that say "AVC keyframe" and the Set Chunk Size message. No I/O.
 */

/** C0 (version byte) + C1 + C2, 1536 bytes each, precede the chunk stream. */
const HANDSHAKE_BYTES = 1 + 1536 + 1536;
/** Until the client announces another one (RTMP spec, 5.4.1). */
const DEFAULT_CHUNK_SIZE = 128;
/** A 24-bit timestamp field with this value is followed by a 32-bit extended timestamp. */
const EXTENDED_TIMESTAMP = 0xffffff;
const MESSAGE_SET_CHUNK_SIZE = 1;
const MESSAGE_VIDEO = 9;
/** FLV VideoTagHeader: frame type 1 (keyframe) in the high nibble, codec 7 (AVC) in the low one. */
const AVC_KEYFRAME = 0x17;
/** AVCPacketType 1: NAL units (0 is the decoder configuration, which is not a frame). */
const AVC_NALU = 1;

interface ChunkStreamState {
  timestamp: number;
  /** The last timestamp field read, which a type-3 header starting a new message repeats. */
  timestampField: number;
  extended: boolean;
  length: number;
  type: number;
  /** Payload bytes of the current message still to come; 0 between messages. */
  remaining: number;
  keyframe: boolean;
}

/** One complete video keyframe message: its RTMP timestamp in milliseconds. */
export interface KeyframeSent {
  timestampMs: number;
}

/**
 * Feed it the client's bytes in order with `push`; it returns the keyframes whose last byte is in
 * the pushed data. Header interpretation follows ffmpeg's rtmppkt.c (the publisher we measure):
 * a type-3 header that starts a message adds the previous header's timestamp field again.
 */
export class RtmpChunkReader {
  #handshakeLeft = HANDSHAKE_BYTES;
  #chunkSize = DEFAULT_CHUNK_SIZE;
  #pending: Buffer = Buffer.alloc(0);
  readonly #streams = new Map<number, ChunkStreamState>();

  push(data: Buffer): KeyframeSent[] {
    let bytes = data;
    if (this.#handshakeLeft > 0) {
      const skipped = Math.min(this.#handshakeLeft, bytes.length);
      this.#handshakeLeft -= skipped;
      bytes = bytes.subarray(skipped);
    }
    this.#pending = this.#pending.length > 0 ? Buffer.concat([this.#pending, bytes]) : bytes;
    const sent: KeyframeSent[] = [];
    let offset = 0;
    for (;;) {
      const consumed = this.#readChunk(this.#pending, offset, sent);
      if (consumed === 0) break;
      offset += consumed;
    }
    // Keep only the incomplete chunk (at most one chunk plus its header).
    this.#pending = Buffer.from(this.#pending.subarray(offset));
    return sent;
  }

  /** Reads one whole chunk at `offset`; returns its size, or 0 if it is not all there yet. */
  #readChunk(buffer: Buffer, offset: number, sent: KeyframeSent[]): number {
    let at = offset;
    if (at >= buffer.length) return 0;
    const first = buffer[at]!;
    at += 1;
    const format = first >> 6;
    let csid = first & 0x3f;
    if (csid === 0) {
      if (at + 1 > buffer.length) return 0;
      csid = 64 + buffer[at]!;
      at += 1;
    } else if (csid === 1) {
      if (at + 2 > buffer.length) return 0;
      csid = 64 + buffer[at]! + buffer[at + 1]! * 256;
      at += 2;
    }
    const headerBytes = [11, 7, 3, 0][format]!;
    if (at + headerBytes > buffer.length) return 0;
    const previous = this.#streams.get(csid);
    const state: ChunkStreamState = previous
      ? { ...previous }
      : { timestamp: 0, timestampField: 0, extended: false, length: 0, type: 0, remaining: 0, keyframe: false };
    let field = state.timestampField;
    if (format <= 2) {
      field = buffer.readUIntBE(at, 3);
      state.extended = field === EXTENDED_TIMESTAMP;
    }
    if (format <= 1) {
      state.length = buffer.readUIntBE(at + 3, 3);
      state.type = buffer[at + 6]!;
    }
    at += headerBytes;
    if (state.extended) {
      if (at + 4 > buffer.length) return 0;
      if (format <= 2) field = buffer.readUInt32BE(at);
      at += 4;
    }
    const startsMessage = state.remaining === 0;
    if (startsMessage) {
      state.timestamp = format === 0 ? field : state.timestamp + field;
      state.timestampField = field;
      state.remaining = state.length;
    }
    const payloadBytes = Math.min(this.#chunkSize, state.remaining);
    if (at + payloadBytes > buffer.length) return 0;
    if (startsMessage) {
      state.keyframe = state.type === MESSAGE_VIDEO && buffer[at] === AVC_KEYFRAME && buffer[at + 1] === AVC_NALU;
      if (state.type === MESSAGE_SET_CHUNK_SIZE && payloadBytes >= 4) {
        this.#chunkSize = buffer.readUInt32BE(at) & 0x7fffffff;
      }
    }
    state.remaining -= payloadBytes;
    at += payloadBytes;
    if (state.remaining === 0 && state.keyframe) sent.push({ timestampMs: state.timestamp });
    this.#streams.set(csid, state);
    return at - offset;
  }
}
