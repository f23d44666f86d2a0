/**
 * One H.264 access unit as MPEG-TS carries it (Annex B: NAL units behind 00 00 01 start codes,
 * ITU-T H.264 B.1) read into what an RTMP video tag needs: the NAL units to carry, whether it is
 * an IDR picture, and the SPS and PPS it brings. No copies: everything points into the PES.
 */
import { NAL_TYPE_AUD, NAL_TYPE_FILLER, NAL_TYPE_IDR, NAL_TYPE_PPS, NAL_TYPE_SPS } from '../media/annex-b.js';

export interface AnnexBAccessUnit {
  /** Contains an IDR slice: decoding can start here. */
  keyframe: boolean;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /**
   * The NAL units an RTMP frame carries: parameter sets go in the sequence header, delimiters
   * are the packager's to write, filler is waste.
   */
  units: Uint8Array[];
  /** Bytes of `units` as AVCC, each behind a 4-byte length. */
  avccSize: number;
}

export function readAnnexBAccessUnit(data: Uint8Array): AnnexBAccessUnit {
  const unit: AnnexBAccessUnit = { keyframe: false, sps: [], pps: [], units: [], avccSize: 0 };
  let start = nextStartCodeEnd(data, 0);
  while (start < data.length) {
    const next = nextStartCodeEnd(data, start);
    // The NAL ends before the next start code and the zero bytes in front of it (trailing_zero_8bits).
    let end = next < data.length ? next - 3 : data.length;
    while (end > start && data[end - 1] === 0) end--;
    if (end > start) add(unit, data.subarray(start, end));
    start = next;
  }
  return unit;
}

function add(unit: AnnexBAccessUnit, nal: Uint8Array): void {
  // forbidden_zero_bit (1), nal_ref_idc (2), nal_unit_type (5 bits).
  const type = nal[0]! & 0x1f;
  if (type === NAL_TYPE_SPS) return void unit.sps.push(nal);
  if (type === NAL_TYPE_PPS) return void unit.pps.push(nal);
  if (type === NAL_TYPE_AUD || type === NAL_TYPE_FILLER) return;
  if (type === NAL_TYPE_IDR) unit.keyframe = true;
  unit.units.push(nal);
  unit.avccSize += 4 + nal.length;
}

/** The offset just after the next 00 00 01 at or after `from`, or data.length when there is none. */
function nextStartCodeEnd(data: Uint8Array, from: number): number {
  // indexOf is native: much faster than a byte loop over a frame of tens of kilobytes.
  for (let one = data.indexOf(1, from + 2); one !== -1; one = data.indexOf(1, one + 1)) {
    if (data[one - 1] === 0 && data[one - 2] === 0) return one + 1;
  }
  return data.length;
}
