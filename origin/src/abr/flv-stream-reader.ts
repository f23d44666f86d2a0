/**
 * FLV as a byte stream, read as it arrives (ffmpeg's output pipes): chunks in, tags out. Holds at
 * most one tag's worth of bytes (FLV's DataSize is 24 bits: under 16 MiB). No I/O.
 */
import { concatBytes } from '../media/byte-arrays.js';
import type { FlvTag } from '../media/flv-tag.js';
import { MediaFormatError } from '../media/media-format-error.js';

const FILE_HEADER_SIZE = 9;
const TAG_HEADER_SIZE = 11;
const PREVIOUS_TAG_SIZE = 4;

export class FlvStreamReader {
  private pending: Uint8Array = new Uint8Array(0);
  private headerRead = false;

  /** Every complete audio, video and script tag in the bytes so far; bodies are copies. */
  push(chunk: Uint8Array): FlvTag[] {
    this.pending = this.pending.byteLength === 0 ? chunk : concatBytes(this.pending, chunk);
    const tags: FlvTag[] = [];
    let offset = 0;
    const data = this.pending;
    if (!this.headerRead) {
      if (data.byteLength < FILE_HEADER_SIZE) return tags;
      if (data[0] !== 0x46 || data[1] !== 0x4c || data[2] !== 0x56) throw new MediaFormatError('not an FLV stream: the FLV signature is missing');
      // DataOffset (32 bits), then PreviousTagSize0.
      offset = readU32(data, 5) + PREVIOUS_TAG_SIZE;
      if (data.byteLength < offset) return tags;
      this.headerRead = true;
    }
    while (offset + TAG_HEADER_SIZE <= data.byteLength) {
      // reserved (2 bits), Filter (1 bit), TagType (5 bits); DataSize (24 bits).
      const type = data[offset]! & 0x1f;
      const size = readU24(data, offset + 1);
      const end = offset + TAG_HEADER_SIZE + size + PREVIOUS_TAG_SIZE;
      if (end > data.byteLength) break;
      // Timestamp (24 bits) and TimestampExtended (8 bits, the upper ones).
      const timestampMs = data[offset + 7]! * 2 ** 24 + readU24(data, offset + 4);
      if (type === 8 || type === 9 || type === 18) {
        const bodyStart = offset + TAG_HEADER_SIZE;
        tags.push({ type, timestampMs, body: data.slice(bodyStart, bodyStart + size) });
      }
      offset = end;
    }
    this.pending = data.subarray(offset);
    return tags;
  }
}


function readU24(data: Uint8Array, offset: number): number {
  return (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
}

function readU32(data: Uint8Array, offset: number): number {
  return data[offset]! * 2 ** 24 + readU24(data, offset + 1);
}
