/**
 * AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the FLV/RTMP AAC sequence header, reduced to
 * what an ADTS header needs. Configurations that ADTS cannot express are refused here, so the
 * publisher hears about it at connect time instead of players failing later.
 */
import { BitReader } from './bit-reader.js';
import { MediaFormatError } from './media-format-error.js';

export interface AacConfig {
  /** Object type as signalled: 2 AAC-LC, 5 HE-AAC (SBR), 29 HE-AACv2 (SBR + PS). */
  objectType: number;
  /** Object type of the core AAC stream, the one ADTS carries (1 to 4). */
  coreObjectType: number;
  /** Index into AAC_SAMPLE_RATES of the core stream. */
  samplingFrequencyIndex: number;
  /** Core sample rate: every raw AAC frame holds 1024 samples at this rate. */
  sampleRate: number;
  channelConfig: number;
}

/** By sampling_frequency_index (ISO/IEC 14496-3 1.6.3.4); 13 and 14 are reserved, 15 explicit. */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export const AAC_SAMPLES_PER_FRAME = 1024;

const OBJECT_TYPE_SBR = 5;
const OBJECT_TYPE_PS = 29;
const EXPLICIT_FREQUENCY = 15;

export function parseAacConfig(data: Uint8Array): AacConfig {
  if (data.length < 2) throw new MediaFormatError(`AAC AudioSpecificConfig of ${data.length} bytes is too short`);
  const bits = new BitReader(data, 'AAC AudioSpecificConfig');
  let objectType = readObjectType(bits);
  let samplingFrequencyIndex = readFrequencyIndex(bits);
  // channelConfiguration (4 bits).
  const channelConfig = bits.readBits(4);
  const signalledType = objectType;
  if (objectType === OBJECT_TYPE_SBR || objectType === OBJECT_TYPE_PS) {
    // Explicit SBR signalling: the extension (output) rate, then the core object type. ADTS
    // carries the core rate; decoders rediscover SBR from the bitstream.
    readFrequencyIndex(bits);
    objectType = readObjectType(bits);
  }
  if (objectType < 1 || objectType > 4) {
    throw new MediaFormatError(`AAC object type ${objectType} cannot be carried in ADTS (needs 1 to 4)`);
  }
  const sampleRate = AAC_SAMPLE_RATES[samplingFrequencyIndex];
  if (sampleRate === undefined) {
    throw new MediaFormatError(`AAC sampling frequency index ${samplingFrequencyIndex} cannot be carried in ADTS`);
  }
  if (channelConfig < 1 || channelConfig > 7) {
    throw new MediaFormatError(`AAC channel configuration ${channelConfig} cannot be carried in ADTS (needs 1 to 7)`);
  }
  return { objectType: signalledType, coreObjectType: objectType, samplingFrequencyIndex, sampleRate, channelConfig };
}

/**
 * The two-byte AudioSpecificConfig an RTMP encoder sends for AAC with this object type (1 to
 * 30), sampling frequency index and channel configuration, e.g. from an ADTS header.
 */
export function writeAacConfig(objectType: number, samplingFrequencyIndex: number, channelConfig: number): Uint8Array {
  // audioObjectType (5 bits), samplingFrequencyIndex (4), channelConfiguration (4), GASpecificConfig's three 0 bits.
  const bits = (objectType << 11) | (samplingFrequencyIndex << 7) | (channelConfig << 3);
  return new Uint8Array([bits >> 8, bits & 0xff]);
}

/** audioObjectType (5 bits), escaped to 32 + 6 bits when it reads 31. */
function readObjectType(bits: BitReader): number {
  const type = bits.readBits(5);
  return type === 31 ? 32 + bits.readBits(6) : type;
}

/** samplingFrequencyIndex (4 bits); 15 means a 24-bit frequency follows, reported as 15. */
function readFrequencyIndex(bits: BitReader): number {
  const index = bits.readBits(4);
  if (index === EXPLICIT_FREQUENCY) bits.skipBits(24);
  return index;
}

/** RFC 6381 codec string, e.g. `mp4a.40.2` for AAC-LC. */
export function aacCodecString(config: AacConfig): string {
  return `mp4a.40.${config.objectType}`;
}

/** Channels a channelConfiguration (1-7, ISO/IEC 14496-3 1.6.3.5) stands for: 1-6 as said, 7 is 7.1. */
export function aacChannelCount(channelConfig: number): number {
  return channelConfig === 7 ? 8 : channelConfig;
}

/** Duration of one raw AAC frame in milliseconds (21.33 ms at 48 kHz). */
export function aacFrameDurationMs(config: AacConfig): number {
  return (AAC_SAMPLES_PER_FRAME * 1000) / config.sampleRate;
}
