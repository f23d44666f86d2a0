/**
 * FLV tag bodies (as RTMP carries them) to typed media frames. Legacy FLV (SoundFormat and
 * CodecID nibbles) and Enhanced RTMP ex-headers (a FourCC after byte 0) are both recognised;
 * only H.264 and AAC come out as media, everything else is named so it can be refused.
 * Frames point into the tag body, which the caller reuses: copy anything kept past the call.
 */

export const FLV_TAG_AUDIO = 8;
export const FLV_TAG_VIDEO = 9;
export const FLV_TAG_SCRIPT = 18;

/** Structurally the ingest's FlvTag, so the ingest can hand its tags over as they are. */
export interface FlvTag {
  /** 8 audio, 9 video, 18 script data; other types are ignored. */
  type: number;
  /** 32-bit RTMP timestamp, the decode time in milliseconds. */
  timestampMs: number;
  body: Uint8Array;
}

export interface AacFrame {
  kind: 'aac-frame';
  dtsMs: number;
  /** One raw AAC frame (1024 samples), no ADTS header. */
  data: Uint8Array;
}

export interface AvcFrame {
  kind: 'avc-frame';
  dtsMs: number;
  /** dtsMs plus the composition time, which B-frames make non-zero. */
  ptsMs: number;
  /** FrameType 1: the publisher marks this as a random access point. */
  keyframe: boolean;
  /** AVCC: NAL units, each behind a big-endian length. */
  data: Uint8Array;
}

export type MediaFrame = AacFrame | AvcFrame;

export type FlvFrame =
  | MediaFrame
  | { kind: 'aac-config'; data: Uint8Array }
  | { kind: 'avc-config'; data: Uint8Array }
  | { kind: 'end-of-sequence' }
  | { kind: 'unsupported'; track: 'audio' | 'video'; codec: string }
  | { kind: 'ignored' };

const IGNORED: FlvFrame = { kind: 'ignored' };
const END_OF_SEQUENCE: FlvFrame = { kind: 'end-of-sequence' };

const SOUND_FORMAT_AAC = 10;
const SOUND_FORMAT_EX_HEADER = 9;
const CODEC_ID_AVC = 7;
const FRAME_TYPE_KEY = 1;
/** Frame type 5 carries a video info/command byte, not a picture. */
const FRAME_TYPE_COMMAND = 5;

const AAC_SEQUENCE_HEADER = 0;
const AVC_SEQUENCE_HEADER = 0;
const AVC_NALU = 1;
const AVC_END_OF_SEQUENCE = 2;

// Enhanced RTMP packet types (low nibble of byte 0 when the ex-header bit is set).
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
const EX_SEQUENCE_END = 2;
/** CodedFramesX: like CodedFrames with an implied composition time of zero. */
const EX_CODED_FRAMES_X = 3;
const EX_VIDEO_METADATA = 4;
const EX_VIDEO_MPEG2TS_SEQUENCE_START = 5;
const EX_AUDIO_MULTICHANNEL_CONFIG = 4;

const SOUND_FORMAT_NAMES: Record<number, string> = {
  0: 'pcm', 1: 'adpcm', 2: 'mp3', 3: 'pcm-le', 4: 'nellymoser', 5: 'nellymoser', 6: 'nellymoser',
  7: 'g711-alaw', 8: 'g711-mulaw', 11: 'speex', 14: 'mp3', 15: 'device-specific',
};

const CODEC_ID_NAMES: Record<number, string> = {
  1: 'jpeg', 2: 'h263', 3: 'screen-video', 4: 'vp6', 5: 'vp6-alpha', 6: 'screen-video-2',
  // 12 and 13 are not in the FLV spec, but Chinese CDNs and some encoders use them this way.
  12: 'hevc', 13: 'av1',
};

const FOURCC_NAMES: Record<string, string> = {
  hvc1: 'hevc', av01: 'av1', vp09: 'vp9', vp08: 'vp8',
  'ac-3': 'ac-3', 'ec-3': 'e-ac-3', Opus: 'opus', '.mp3': 'mp3', fLaC: 'flac',
};

/** `dtsMs` replaces the tag's 32-bit timestamp, e.g. with one extended past its wrap. */
export function parseFlvTag(tag: FlvTag, dtsMs = tag.timestampMs): FlvFrame {
  if (tag.body.length === 0) return IGNORED;
  if (tag.type === FLV_TAG_AUDIO) return parseAudio(tag.body, dtsMs);
  if (tag.type === FLV_TAG_VIDEO) return parseVideo(tag.body, dtsMs);
  return IGNORED;
}

function parseAudio(body: Uint8Array, dtsMs: number): FlvFrame {
  // SoundFormat (4 bits), then rate, size and channels, which AAC ignores in favour of its config.
  const soundFormat = (body[0] ?? 0) >> 4;
  if (soundFormat === SOUND_FORMAT_EX_HEADER) return parseExAudio(body, dtsMs);
  if (soundFormat !== SOUND_FORMAT_AAC) {
    return unsupported('audio', SOUND_FORMAT_NAMES[soundFormat] ?? `sound format ${soundFormat}`);
  }
  if (body.length < 2) return IGNORED;
  // AACPacketType: 0 is the AudioSpecificConfig, 1 a raw AAC frame.
  const data = body.subarray(2);
  if (body[1] === AAC_SEQUENCE_HEADER) return { kind: 'aac-config', data };
  return data.length === 0 ? IGNORED : { kind: 'aac-frame', dtsMs, data };
}

function parseExAudio(body: Uint8Array, dtsMs: number): FlvFrame {
  if (body.length < 5) return IGNORED;
  const packetType = (body[0] ?? 0) & 0x0f;
  const fourCc = readFourCc(body);
  if (fourCc !== 'mp4a') return unsupported('audio', FOURCC_NAMES[fourCc] ?? fourCc);
  const data = body.subarray(5);
  if (packetType === EX_SEQUENCE_START) return { kind: 'aac-config', data };
  if (packetType === EX_CODED_FRAMES) return data.length === 0 ? IGNORED : { kind: 'aac-frame', dtsMs, data };
  if (packetType === EX_SEQUENCE_END || packetType === EX_AUDIO_MULTICHANNEL_CONFIG) return IGNORED;
  // Multitrack and ModEx change the layout of everything after the header.
  return unsupported('audio', `enhanced RTMP audio packet type ${packetType}`);
}

function parseVideo(body: Uint8Array, dtsMs: number): FlvFrame {
  const byte0 = body[0] ?? 0;
  // IsExHeader (1 bit): the Enhanced RTMP layout with a FourCC.
  if (byte0 & 0x80) return parseExVideo(body, dtsMs);
  // FrameType (4 bits), CodecID (4 bits).
  const frameType = byte0 >> 4;
  const codecId = byte0 & 0x0f;
  if (frameType === FRAME_TYPE_COMMAND) return IGNORED;
  if (codecId !== CODEC_ID_AVC) return unsupported('video', CODEC_ID_NAMES[codecId] ?? `codec id ${codecId}`);
  if (body.length < 5) return IGNORED;
  // AVCPacketType (8 bits), then CompositionTime (signed 24 bits, present for every type).
  const packetType = body[1];
  const data = body.subarray(5);
  if (packetType === AVC_SEQUENCE_HEADER) return { kind: 'avc-config', data };
  if (packetType === AVC_END_OF_SEQUENCE) return END_OF_SEQUENCE;
  if (packetType !== AVC_NALU || data.length === 0) return IGNORED;
  return avcFrame(dtsMs, readSigned24(body, 2), frameType === FRAME_TYPE_KEY, data);
}

function parseExVideo(body: Uint8Array, dtsMs: number): FlvFrame {
  if (body.length < 5) return IGNORED;
  const byte0 = body[0] ?? 0;
  // FrameType (3 bits after the ex-header bit), VideoPacketType (4 bits).
  const frameType = (byte0 >> 4) & 0x07;
  const packetType = byte0 & 0x0f;
  const fourCc = readFourCc(body);
  if (fourCc !== 'avc1') return unsupported('video', FOURCC_NAMES[fourCc] ?? fourCc);
  if (frameType === FRAME_TYPE_COMMAND) return IGNORED;
  if (packetType === EX_SEQUENCE_START) return { kind: 'avc-config', data: body.subarray(5) };
  if (packetType === EX_SEQUENCE_END) return END_OF_SEQUENCE;
  if (packetType === EX_CODED_FRAMES_X) {
    const data = body.subarray(5);
    return data.length === 0 ? IGNORED : avcFrame(dtsMs, 0, frameType === FRAME_TYPE_KEY, data);
  }
  if (packetType === EX_CODED_FRAMES) {
    if (body.length < 9) return IGNORED;
    return avcFrame(dtsMs, readSigned24(body, 5), frameType === FRAME_TYPE_KEY, body.subarray(8));
  }
  if (packetType === EX_VIDEO_METADATA || packetType === EX_VIDEO_MPEG2TS_SEQUENCE_START) return IGNORED;
  // Multitrack and ModEx change the layout of everything after the header.
  return unsupported('video', `enhanced RTMP video packet type ${packetType}`);
}

function avcFrame(dtsMs: number, compositionMs: number, keyframe: boolean, data: Uint8Array): FlvFrame {
  return { kind: 'avc-frame', dtsMs, ptsMs: dtsMs + compositionMs, keyframe, data };
}

function unsupported(track: 'audio' | 'video', codec: string): FlvFrame {
  return { kind: 'unsupported', track, codec };
}

function readFourCc(body: Uint8Array): string {
  return String.fromCharCode(body[1] ?? 0, body[2] ?? 0, body[3] ?? 0, body[4] ?? 0);
}

function readSigned24(data: Uint8Array, offset: number): number {
  const value = ((data[offset] ?? 0) << 16) | ((data[offset + 1] ?? 0) << 8) | (data[offset + 2] ?? 0);
  // Sign-extend from bit 23: encoders with B-frames may send negative composition times.
  return value & 0x800000 ? value - 0x1000000 : value;
}
