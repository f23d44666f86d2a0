/**
 * One track's samples in one fragment: what the sample queue hands the fragment writer. Times
 * count in the track's timescale.
 */

export interface CmafSample {
  decodeTime: number;
  duration: number;
  size: number;
  /** ISO BMFF sample_flags (14496-12 8.8.3.1), see SYNC_SAMPLE_FLAGS. */
  flags: number;
  /** Presentation minus decode time, negative when a publisher sends such composition times. */
  compositionOffset: number;
}

export interface TrackRun {
  trackId: number;
  /** tfdt: the decode time of the first sample. */
  baseDecodeTime: number;
  samples: readonly CmafSample[];
  /** The samples' bytes, back to back in sample order. */
  data: Uint8Array;
}

// sample_flags: reserved (4), is_leading (2), sample_depends_on (2), sample_is_depended_on (2),
// sample_has_redundancy (2), sample_padding_value (3), sample_is_non_sync_sample (1),
// sample_degradation_priority (16 bits).
/** depends_on 2: decodable alone (a keyframe, or any AAC frame). */
export const SYNC_SAMPLE_FLAGS = 2 << 24;
/** depends_on 1, is_non_sync_sample 1: needs earlier samples to decode. */
export const NON_SYNC_SAMPLE_FLAGS = (1 << 24) | (1 << 16);
