/**
 * What a push needs to know of an FLV tag to copy it: sequence header, keyframe, other frame,
 * metadata. Unlike media/flv-tag.ts this is codec-blind (legacy FLV and Enhanced RTMP alike),
 * because a push forwards whatever the publisher sends and never looks inside a frame.
 */
import { encodeAmf0, readAmf0Value } from './amf0.js';

export type TagKind =
  | 'audio-config'
  | 'audio'
  | 'video-config'
  | 'video-key'
  | 'video'
  /** AVC end of sequence and the like: the publisher ends, our target's publish does not. */
  | 'end-of-sequence'
  | 'metadata'
  | 'data'
  | 'ignored';

const TAG_AUDIO = 8;
const TAG_VIDEO = 9;
const TAG_SCRIPT = 18;

const SOUND_FORMAT_AAC = 10;
const SOUND_FORMAT_EX_HEADER = 9;
/** Legacy codec ids with an AVCPacketType byte: AVC, and HEVC/AV1 as Chinese CDNs number them. */
const CODECS_WITH_PACKET_TYPE = new Set([7, 12, 13]);
const FRAME_TYPE_KEY = 1;

// Enhanced RTMP packet types.
const EX_SEQUENCE_START = 0;
const EX_SEQUENCE_END = 2;
const EX_MPEG2TS_SEQUENCE_START = 5;

export function classifyTag(type: number, body: Uint8Array): TagKind {
  if (body.length === 0) return 'ignored';
  if (type === TAG_AUDIO) return classifyAudio(body);
  if (type === TAG_VIDEO) return classifyVideo(body);
  if (type === TAG_SCRIPT) return isMetadata(body) ? 'metadata' : 'data';
  return 'ignored';
}

function classifyAudio(body: Uint8Array): TagKind {
  // SoundFormat (4 bits); with the ex-header format, AudioPacketType is the low 4 bits.
  const soundFormat = body[0]! >> 4;
  if (soundFormat === SOUND_FORMAT_EX_HEADER) {
    const packetType = body[0]! & 0x0f;
    if (packetType === EX_SEQUENCE_START) return 'audio-config';
    return packetType === EX_SEQUENCE_END ? 'end-of-sequence' : 'audio';
  }
  // AACPacketType 0: the AudioSpecificConfig.
  if (soundFormat === SOUND_FORMAT_AAC && body[1] === 0) return 'audio-config';
  return 'audio';
}

function classifyVideo(body: Uint8Array): TagKind {
  const byte0 = body[0]!;
  if (byte0 & 0x80) {
    // IsExHeader (1 bit), FrameType (3 bits), VideoPacketType (4 bits).
    const frameType = (byte0 >> 4) & 0x07;
    const packetType = byte0 & 0x0f;
    if (packetType === EX_SEQUENCE_START || packetType === EX_MPEG2TS_SEQUENCE_START) return 'video-config';
    if (packetType === EX_SEQUENCE_END) return 'end-of-sequence';
    return frameType === FRAME_TYPE_KEY ? 'video-key' : 'video';
  }
  // FrameType (4 bits), CodecID (4 bits), then for AVC-like codecs AVCPacketType (8 bits).
  const frameType = byte0 >> 4;
  if (CODECS_WITH_PACKET_TYPE.has(byte0 & 0x0f)) {
    if (body[1] === 0) return 'video-config';
    if (body[1] === 2) return 'end-of-sequence';
  }
  return frameType === FRAME_TYPE_KEY ? 'video-key' : 'video';
}

/** `onMetaData`, either as a file has it or behind `@setDataFrame` as a publisher sends it. */
function isMetadata(body: Uint8Array): boolean {
  try {
    const first = readAmf0Value(body, 0);
    if (first.value === 'onMetaData') return true;
    return first.value === '@setDataFrame' && readAmf0Value(body, first.next).value === 'onMetaData';
  } catch {
    return false;
  }
}

const SET_DATA_FRAME = encodeAmf0(['@setDataFrame']);

/**
 * Metadata as a publisher must send it: `@setDataFrame` asks the server to keep it and hand
 * it to every player, which platforms use to learn the resolution and bitrate.
 */
export function publishableMetadata(body: Uint8Array): Uint8Array {
  if (readAmf0Value(body, 0).value === '@setDataFrame') return body;
  const out = new Uint8Array(SET_DATA_FRAME.length + body.length);
  out.set(SET_DATA_FRAME, 0);
  out.set(body, SET_DATA_FRAME.length);
  return out;
}
