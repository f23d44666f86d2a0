/**
 * FLV as a byte stream (Adobe FLV spec, annex E), written from the tags the origin received, for
 * ffmpeg's stdin. No I/O.
 */
import type { FlvTag } from '../media/flv-tag.js';

const TAG_HEADER_SIZE = 11;
const PREVIOUS_TAG_SIZE = 4;

/** The file header and PreviousTagSize0. */
export function flvHeader(hasAudio: boolean, hasVideo: boolean): Uint8Array {
  const header = new Uint8Array(9 + PREVIOUS_TAG_SIZE);
  // Signature 'FLV', version 1.
  header.set([0x46, 0x4c, 0x56, 0x01]);
  // TypeFlagsReserved (5 bits), TypeFlagsAudio (1 bit), reserved (1 bit), TypeFlagsVideo (1 bit).
  header[4] = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  // DataOffset (32 bits): the header's size; PreviousTagSize0 (32 bits) stays 0.
  header[8] = 9;
  return header;
}

/** One tag with its header and PreviousTagSize, in a buffer of its own (the body is copied). */
export function encodeFlvTag(tag: FlvTag): Uint8Array {
  const size = tag.body.byteLength;
  const out = new Uint8Array(TAG_HEADER_SIZE + size + PREVIOUS_TAG_SIZE);
  const view = new DataView(out.buffer);
  // reserved (2 bits), Filter (1 bit), TagType (5 bits); DataSize (24 bits).
  view.setUint32(0, ((tag.type & 0x1f) << 24) | size);
  // Timestamp (24 bits, the lower ones), TimestampExtended (8 bits, the upper ones).
  const timestamp = tag.timestampMs >>> 0;
  view.setUint32(4, ((timestamp & 0xffffff) << 8) | (timestamp >>> 24));
  // StreamID (24 bits) stays 0.
  out.set(tag.body, TAG_HEADER_SIZE);
  view.setUint32(TAG_HEADER_SIZE + size, TAG_HEADER_SIZE + size);
  return out;
}
