/**
 * Just enough of an H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1) to learn the picture
 * size for playlists. Parsed once per sequence header, so clarity beats speed here.
 */
import { BitReader } from './bit-reader.js';

export interface PictureSize {
  width: number;
  height: number;
}

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices. */
export const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** The SPS's sample format: what an AVCDecoderConfigurationRecord repeats for High profiles. */
export interface SpsSampleFormat {
  profileIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
}

/** Reads the sample format from an SPS NAL unit, header byte included. */
export function parseSpsSampleFormat(sps: Uint8Array): SpsSampleFormat {
  return readSampleFormat(new BitReader(removeEmulationPrevention(sps), 'H.264 SPS'));
}

/** Profiles without the fields default to 8-bit 4:2:0; leaves `bits` after the scaling matrices. */
function readSampleFormat(bits: BitReader): SpsSampleFormat {
  bits.skipBits(8); // NAL unit header
  const profileIdc = bits.readBits(8);
  bits.skipBits(16); // constraint_set flags + reserved, level_idc
  bits.readUE(); // seq_parameter_set_id
  const format = { profileIdc, chromaFormatIdc: 1, separateColourPlane: false, bitDepthLumaMinus8: 0, bitDepthChromaMinus8: 0 };
  if (HIGH_PROFILES.has(profileIdc)) {
    format.chromaFormatIdc = bits.readUE();
    if (format.chromaFormatIdc === 3) format.separateColourPlane = bits.readBit();
    format.bitDepthLumaMinus8 = bits.readUE();
    format.bitDepthChromaMinus8 = bits.readUE();
    bits.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (bits.readBit()) {
      // seq_scaling_matrix_present_flag: 6 lists of 16 coefficients, then 2 or 6 of 64.
      const lists = format.chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (bits.readBit()) skipScalingList(bits, i < 6 ? 16 : 64);
      }
    }
  }
  return format;
}

/** Reads width and height (after cropping) from an SPS NAL unit, header byte included. */
export function parseSpsPictureSize(sps: Uint8Array): PictureSize {
  const bits = new BitReader(removeEmulationPrevention(sps), 'H.264 SPS');
  const { chromaFormatIdc, separateColourPlane } = readSampleFormat(bits);
  bits.readUE(); // log2_max_frame_num_minus4
  const picOrderCntType = bits.readUE();
  if (picOrderCntType === 0) {
    bits.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    bits.skipBits(1); // delta_pic_order_always_zero_flag
    bits.readSE(); // offset_for_non_ref_pic
    bits.readSE(); // offset_for_top_to_bottom_field
    const cycle = bits.readUE();
    for (let i = 0; i < cycle; i++) bits.readSE(); // offset_for_ref_frame
  }
  bits.readUE(); // max_num_ref_frames
  bits.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.readUE() + 1;
  const heightInMapUnits = bits.readUE() + 1;
  const frameMbsOnly = bits.readBit();
  if (!frameMbsOnly) bits.skipBits(1); // mb_adaptive_frame_field_flag
  bits.skipBits(1); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (bits.readBit()) {
    // frame_cropping_flag: offsets in chroma sample units, converted below.
    cropLeft = bits.readUE();
    cropRight = bits.readUE();
    cropTop = bits.readUE();
    cropBottom = bits.readUE();
  }
  // Table 6-1: crop units depend on chroma subsampling; interlaced frames count two fields.
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const monochrome = chromaFormatIdc === 0 || separateColourPlane;
  const cropUnitX = monochrome || chromaFormatIdc === 3 ? 1 : 2;
  const cropUnitY = (monochrome || chromaFormatIdc !== 1 ? 1 : 2) * fieldFactor;
  return {
    width: widthInMbs * 16 - cropUnitX * (cropLeft + cropRight),
    height: heightInMapUnits * 16 * fieldFactor - cropUnitY * (cropTop + cropBottom),
  };
}

function skipScalingList(bits: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size && nextScale !== 0; j++) {
    nextScale = (lastScale + bits.readSE() + 256) % 256;
    if (nextScale !== 0) lastScale = nextScale;
  }
}

/** Drops the 0x03 in each 00 00 03 sequence, which exists only to avoid fake start codes. */
function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let length = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const byte = nal[i]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}
