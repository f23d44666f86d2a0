/**
 * ADTS header (ISO/IEC 13818-7 6.2): MPEG-TS carries AAC as ADTS frames (stream type 0x0F), so
 * every raw AAC frame from RTMP gets this 7-byte header in front (no CRC).
 */
import type { AacConfig } from './aac-config.js';

export const ADTS_HEADER_SIZE = 7;

/** Largest raw frame an ADTS header can describe: frame_length is 13 bits and includes the header. */
export const ADTS_MAX_PAYLOAD = 0x1fff - ADTS_HEADER_SIZE;

export function writeAdtsHeader(out: Uint8Array, offset: number, config: AacConfig, payloadLength: number): void {
  const frameLength = payloadLength + ADTS_HEADER_SIZE;
  // syncword (12 bits) 0xFFF.
  out[offset] = 0xff;
  // syncword cont., ID (1 bit) 0 = MPEG-4, layer (2 bits) 0, protection_absent (1 bit) 1 = no CRC.
  out[offset + 1] = 0xf1;
  // profile (2 bits) = object type - 1, sampling_frequency_index (4 bits), private_bit (1 bit),
  // channel_configuration high bit (1 of 3 bits).
  out[offset + 2] =
    ((config.coreObjectType - 1) << 6) | (config.samplingFrequencyIndex << 2) | (config.channelConfig >> 2);
  // channel_configuration low 2 bits, original_copy, home, copyright_id bit and start (4 x 1 bit),
  // aac_frame_length high 2 bits (of 13).
  out[offset + 3] = ((config.channelConfig & 0x03) << 6) | (frameLength >> 11);
  // aac_frame_length middle 8 bits.
  out[offset + 4] = (frameLength >> 3) & 0xff;
  // aac_frame_length low 3 bits, adts_buffer_fullness high 5 bits (0x7FF = variable bit rate).
  out[offset + 5] = ((frameLength & 0x07) << 5) | 0x1f;
  // adts_buffer_fullness low 6 bits, number_of_raw_data_blocks_in_frame (2 bits) = 1 block - 1.
  out[offset + 6] = 0xfc;
}
