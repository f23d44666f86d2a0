/**
 * Reads a whole FLV file (Adobe FLV spec, annex E) into the tags node-media-server would hand
 * over for an RTMP publish. For tests and benchmarks: live ingest never sees a file.
 */
import type { FlvTag } from './flv-tag.js';
import { MediaFormatError } from './media-format-error.js';

const TAG_HEADER_SIZE = 11;
const PREVIOUS_TAG_SIZE = 4;

/** Yields each audio, video and script tag; bodies are views into `file`. */
export function* readFlvTags(file: Uint8Array): Generator<FlvTag> {
  // Signature 'FLV' (3 bytes), version (8 bits), flags (8 bits), DataOffset (32 bits).
  if (file.length < 9 || file[0] !== 0x46 || file[1] !== 0x4c || file[2] !== 0x56) {
    throw new MediaFormatError('not an FLV file: the FLV signature is missing');
  }
  let offset = readU32(file, 5) + PREVIOUS_TAG_SIZE;
  while (offset + TAG_HEADER_SIZE <= file.length) {
    // reserved (2 bits), Filter (1 bit, encrypted), TagType (5 bits).
    const type = file[offset]! & 0x1f;
    // DataSize (24 bits).
    const size = readU24(file, offset + 1);
    // Timestamp (24 bits) and TimestampExtended (8 bits, the upper ones).
    const timestampMs = file[offset + 7]! * 2 ** 24 + readU24(file, offset + 4);
    // StreamID (24 bits), always 0, then the body and PreviousTagSize (32 bits).
    const bodyStart = offset + TAG_HEADER_SIZE;
    if (bodyStart + size > file.length) return; // a file cut short mid-tag, as a recording may be
    if (type === 8 || type === 9 || type === 18) {
      yield { type, timestampMs, body: file.subarray(bodyStart, bodyStart + size) };
    }
    offset = bodyStart + size + PREVIOUS_TAG_SIZE;
  }
}

function readU24(data: Uint8Array, offset: number): number {
  return (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
}

function readU32(data: Uint8Array, offset: number): number {
  return data[offset]! * 2 ** 24 + readU24(data, offset + 1);
}
