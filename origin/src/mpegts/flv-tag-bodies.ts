/**
 * FLV tag bodies as an RTMP encoder sends them (Adobe FLV spec, E.4.2-E.4.3): AAC and H.264
 * sequence headers and frames, so media demuxed from MPEG-TS enters the pipeline exactly as
 * RTMP media does. Each body is one allocation, sized first. The reader side is media/flv-tag.ts.
 */

/** SoundFormat 10 (AAC), rate 3 (44 kHz), 16-bit, stereo: what FLV requires for AAC whatever the config says. */
const AAC_AUDIO_HEADER = 0xaf;
const AAC_SEQUENCE_HEADER = 0;
const AAC_RAW = 1;
/** FrameType (4 bits) 1 key / 2 inter, CodecID (4 bits) 7 AVC. */
const AVC_KEY_FRAME = 0x17;
const AVC_INTER_FRAME = 0x27;
const AVC_SEQUENCE_HEADER = 0;
const AVC_NALU = 1;

export function aacSequenceHeaderBody(audioSpecificConfig: Uint8Array): Uint8Array {
  return aacBody(AAC_SEQUENCE_HEADER, audioSpecificConfig);
}

export function aacFrameBody(raw: Uint8Array): Uint8Array {
  return aacBody(AAC_RAW, raw);
}

function aacBody(packetType: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(2 + data.length);
  // Sound format byte, AACPacketType (8 bits).
  body[0] = AAC_AUDIO_HEADER;
  body[1] = packetType;
  body.set(data, 2);
  return body;
}

export function avcSequenceHeaderBody(decoderConfig: Uint8Array): Uint8Array {
  const body = new Uint8Array(5 + decoderConfig.length);
  // AVCPacketType 0, CompositionTime 0 (24 bits).
  body[0] = AVC_KEY_FRAME;
  body[1] = AVC_SEQUENCE_HEADER;
  body.set(decoderConfig, 5);
  return body;
}

/** One access unit's NAL units as AVCC (4-byte lengths); `avccSize` is their total with lengths. */
export function avcFrameBody(units: readonly Uint8Array[], avccSize: number, keyframe: boolean, compositionMs: number): Uint8Array {
  const body = new Uint8Array(5 + avccSize);
  body[0] = keyframe ? AVC_KEY_FRAME : AVC_INTER_FRAME;
  body[1] = AVC_NALU;
  // CompositionTime (signed 24 bits): PTS - DTS in milliseconds.
  const composition = compositionMs & 0xffffff;
  body[2] = composition >> 16;
  body[3] = (composition >> 8) & 0xff;
  body[4] = composition & 0xff;
  let offset = 5;
  for (const unit of units) {
    const length = unit.length;
    body[offset] = length >>> 24;
    body[offset + 1] = (length >> 16) & 0xff;
    body[offset + 2] = (length >> 8) & 0xff;
    body[offset + 3] = length & 0xff;
    body.set(unit, offset + 4);
    offset += 4 + length;
  }
  return body;
}
