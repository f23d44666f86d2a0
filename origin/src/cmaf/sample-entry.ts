/**
 * Sample entries, the `stsd` child that tells a decoder how to read a track's samples:
 * `avc1` + `avcC` (ISO/IEC 14496-15 5.4) for H.264 and `mp4a` + `esds` (ISO/IEC 14496-14 5.6)
 * for AAC. Both carry the publisher's sequence header byte for byte.
 */
import type { BoxWriter } from './box-writer.js';
import type { CmafAudioTrack, CmafVideoTrack } from './cmaf-track.js';

/** 72 dpi as 16.16 fixed point, the value every VisualSampleEntry carries. */
const RESOLUTION_72_DPI = 0x00480000;
/** Colour with no alpha. */
const DEPTH_24_BIT = 0x0018;

// MPEG-4 Systems (ISO/IEC 14496-1 7.2.6) descriptor tags inside `esds`.
const ES_DESCRIPTOR_TAG = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCRIPTOR_TAG = 0x06;
/** objectTypeIndication: Audio ISO/IEC 14496-3 (AAC of any profile). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** streamType 5 (audio), upStream 0, reserved bit 1. */
const STREAM_TYPE_AUDIO_BYTE = (0x05 << 2) | 0x01;
/** SLConfigDescriptor predefined 2: the value MP4 files must use. */
const SL_PREDEFINED_MP4 = 0x02;

/** AudioSpecificConfig channelConfiguration 7 is 7.1: eight channels. */
const CHANNELS_BY_CONFIG = [0, 1, 2, 3, 4, 5, 6, 8];

/** SampleEntry (ISO/IEC 14496-12 8.5.2): 6 reserved bytes, then the data_reference_index. */
function sampleEntryHeader(w: BoxWriter): void {
  w.zeros(6);
  // data_reference_index (16 bits): the single `url ` entry of `dref`.
  w.u16(1);
}

export function writeAvcSampleEntry(w: BoxWriter, track: CmafVideoTrack): void {
  const { width = 0, height = 0 } = track.config.info;
  w.box('avc1', () => {
    sampleEntryHeader(w);
    // pre_defined (16 bits), reserved (16 bits), pre_defined (3 x 32 bits).
    w.zeros(16);
    w.u16(width);
    w.u16(height);
    w.u32(RESOLUTION_72_DPI); // horizresolution
    w.u32(RESOLUTION_72_DPI); // vertresolution
    w.u32(0); // reserved
    w.u16(1); // frame_count: one picture per sample
    w.zeros(32); // compressorname: length byte 0, no name
    w.u16(DEPTH_24_BIT);
    w.u16(0xffff); // pre_defined = -1
    // The AVCDecoderConfigurationRecord as FLV carries it: SPS, PPS and the NAL length size,
    // which the samples (AVCC, as received) already use.
    w.box('avcC', () => w.bytes(track.config.raw));
  });
}

export function writeAacSampleEntry(w: BoxWriter, track: CmafAudioTrack): void {
  const { record, raw } = track.config;
  w.box('mp4a', () => {
    sampleEntryHeader(w);
    w.zeros(8); // reserved (2 x 32 bits)
    w.u16(CHANNELS_BY_CONFIG[record.channelConfig] ?? 2); // channelcount
    w.u16(16); // samplesize
    w.u16(0); // pre_defined
    w.u16(0); // reserved
    // samplerate (16.16): rates above 65535 do not fit; decoders take the rate from the esds.
    w.u32(record.sampleRate <= 0xffff ? record.sampleRate * 0x10000 : 0);
    w.fullBox('esds', 0, 0, () => writeEsDescriptor(w, track.id, raw));
  });
}

/** ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo (the AudioSpecificConfig), SLConfigDescriptor. */
function writeEsDescriptor(w: BoxWriter, esId: number, audioSpecificConfig: Uint8Array): void {
  // objectTypeIndication, the streamType byte, bufferSizeDB (24 bits), maxBitrate, avgBitrate (32 bits each).
  const decoderConfigPayload = 1 + 1 + 3 + 4 + 4 + descriptorSize(audioSpecificConfig.length);
  // ES_ID (16 bits), then a flags byte: no stream dependence, URL or OCR stream.
  descriptorHeader(w, ES_DESCRIPTOR_TAG, 2 + 1 + descriptorSize(decoderConfigPayload) + descriptorSize(1));
  w.u16(esId);
  w.u8(0);
  descriptorHeader(w, DECODER_CONFIG_DESCRIPTOR_TAG, decoderConfigPayload);
  w.u8(OBJECT_TYPE_MPEG4_AUDIO);
  w.u8(STREAM_TYPE_AUDIO_BYTE);
  // bufferSizeDB, maxBitrate, avgBitrate: unknown ahead of a live stream, which 0 says.
  w.u24(0);
  w.u32(0);
  w.u32(0);
  descriptorHeader(w, DECODER_SPECIFIC_INFO_TAG, audioSpecificConfig.length);
  w.bytes(audioSpecificConfig);
  descriptorHeader(w, SL_CONFIG_DESCRIPTOR_TAG, 1);
  w.u8(SL_PREDEFINED_MP4);
}

/** Tag (8 bits), then the payload size in 7-bit groups, high group first, bit 7 set on all but the last. */
function descriptorHeader(w: BoxWriter, tag: number, payload: number): void {
  w.u8(tag);
  for (let group = sizeGroups(payload) - 1; group > 0; group--) w.u8(0x80 | (Math.floor(payload / 2 ** (7 * group)) & 0x7f));
  w.u8(payload & 0x7f);
}

/** A whole descriptor, header included, around `payload` bytes. */
function descriptorSize(payload: number): number {
  return 1 + sizeGroups(payload) + payload;
}

function sizeGroups(payload: number): number {
  let groups = 1;
  while (payload >= 2 ** (7 * groups)) groups++;
  return groups;
}
