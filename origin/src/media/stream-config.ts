/**
 * Sequence headers as the segmenter keeps them: the raw bytes (to spot a header resent
 * unchanged), the parsed record, and what playlists and the muxer derive from it once.
 */
import { type AacConfig, aacCodecString, parseAacConfig } from './aac-config.js';
import { parameterSetsToAnnexB } from './annex-b.js';
import { type AvcDecoderConfig, avcCodecString, parseAvcDecoderConfig } from './avc-decoder-config.js';
import { parseSpsPictureSize } from './h264-sps.js';

export interface VideoTrackInfo {
  /** RFC 6381 codec string for CODECS, e.g. `avc1.64001f`. */
  codec: string;
  width?: number;
  height?: number;
}

export interface AudioTrackInfo {
  /** RFC 6381 codec string for CODECS, e.g. `mp4a.40.2`. */
  codec: string;
  sampleRate: number;
  /** The AAC channelConfiguration, 1-7 (see aacChannelCount). */
  channels: number;
}

export interface VideoConfig {
  raw: Uint8Array;
  record: AvcDecoderConfig;
  /** SPS and PPS in Annex B form, inserted before IDRs that lack them. */
  parameterSets: Uint8Array;
  info: VideoTrackInfo;
}

export interface AudioConfig {
  raw: Uint8Array;
  record: AacConfig;
  info: AudioTrackInfo;
}

/** Throws MediaFormatError for a malformed record. `data` is copied. */
export function videoConfigFrom(data: Uint8Array): VideoConfig {
  const record = parseAvcDecoderConfig(data);
  const info: VideoTrackInfo = { codec: avcCodecString(record) };
  try {
    Object.assign(info, parseSpsPictureSize(record.sps[0]!));
  } catch {
    // The size is informative only; decoders read the SPS themselves.
  }
  return { raw: data.slice(), record, parameterSets: parameterSetsToAnnexB(record.sps, record.pps), info };
}

/** Throws MediaFormatError for a record ADTS cannot carry. `data` is copied. */
export function audioConfigFrom(data: Uint8Array): AudioConfig {
  const record = parseAacConfig(data);
  const info = { codec: aacCodecString(record), sampleRate: record.sampleRate, channels: record.channelConfig };
  return { raw: data.slice(), record, info };
}

/** Whether a sequence header repeats the current one: encoders often resend it unchanged. */
export function sameConfig(current: { raw: Uint8Array } | undefined, data: Uint8Array): boolean {
  if (current === undefined || current.raw.length !== data.length) return false;
  for (let i = 0; i < data.length; i++) if (current.raw[i] !== data[i]) return false;
  return true;
}
