/**
 * ADTS frame headers as received (ISO/IEC 13818-7 6.2): MPEG-TS carries AAC (stream type 0x0F)
 * as ADTS frames, each a 7-byte header (9 with a CRC) and one raw AAC frame, which is what an
 * RTMP audio tag carries. The writer side is media/adts.ts.
 */

export interface AdtsFrame {
  /** audioObjectType: the 2-bit profile plus one (2 for AAC-LC). */
  objectType: number;
  samplingFrequencyIndex: number;
  channelConfig: number;
  /** The raw AAC frame is data[rawStart, frameEnd). */
  rawStart: number;
  frameEnd: number;
}

const ADTS_MIN_HEADER_SIZE = 7;

/**
 * Reads the frame at `offset`: the frame, 'partial' when its end is beyond `data`, or a
 * sentence naming what is wrong.
 */
export function readAdtsFrame(data: Uint8Array, offset: number): AdtsFrame | 'partial' | string {
  if (offset + ADTS_MIN_HEADER_SIZE > data.length) return 'partial';
  // syncword (12 bits) 0xFFF, ID (1), layer (2 bits) 0, protection_absent (1).
  if (data[offset] !== 0xff || (data[offset + 1]! & 0xf6) !== 0xf0) return `no ADTS sync word at byte ${offset}`;
  const protectionAbsent = (data[offset + 1]! & 0x01) === 1;
  const byte2 = data[offset + 2]!;
  const byte3 = data[offset + 3]!;
  // profile (2 bits), sampling_frequency_index (4), private_bit (1), channel_configuration (3, 1 here).
  const objectType = (byte2 >> 6) + 1;
  const samplingFrequencyIndex = (byte2 >> 2) & 0x0f;
  const channelConfig = ((byte2 & 0x01) << 2) | (byte3 >> 6);
  // aac_frame_length (13 bits), header included.
  const frameLength = ((byte3 & 0x03) << 11) | (data[offset + 4]! << 3) | (data[offset + 5]! >> 5);
  // number_of_raw_data_blocks_in_frame (2 bits): RTMP carries one raw block per frame.
  const blocks = (data[offset + 6]! & 0x03) + 1;
  const headerSize = protectionAbsent ? ADTS_MIN_HEADER_SIZE : ADTS_MIN_HEADER_SIZE + 2;
  if (frameLength <= headerSize) return `ADTS frame length ${frameLength} at byte ${offset} is not past its header`;
  if (blocks !== 1) return `ADTS frame with ${blocks} raw data blocks is not supported`;
  if (offset + frameLength > data.length) return 'partial';
  return { objectType, samplingFrequencyIndex, channelConfig, rawStart: offset + headerSize, frameEnd: offset + frameLength };
}
