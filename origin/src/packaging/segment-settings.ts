import { readInteger, readNumber, type Env } from '../../../service-kit/src/env-settings.js';
import { DEFAULT_MAX_SEGMENT_BYTES, type HlsSegmenterOptions } from '../media/index.js';

/** How the segmenter cuts a stream, read once at start-up. */
export type SegmentSettings = Required<Pick<HlsSegmenterOptions, 'targetDurationSeconds' | 'maxDurationSeconds' | 'maxSegmentBytes'>>;

/** A setting below this makes no useful segment. */
const MIN_SEGMENT_SECONDS = 0.5;
/** Room for one big keyframe and then some. */
const MIN_MAX_SEGMENT_BYTES = 1024 * 1024;

export function readSegmentSettings(env: Env): SegmentSettings {
  // HLS_SEGMENT_SECONDS: a segment ends at the first keyframe after this. Default 2.
  const targetDurationSeconds = readNumber(env, 'HLS_SEGMENT_SECONDS', 2, { min: MIN_SEGMENT_SECONDS });
  return {
    targetDurationSeconds,
    // HLS_MAX_SEGMENT_SECONDS: cut here without a keyframe. Default 10 times HLS_SEGMENT_SECONDS (nginx-rtmp's hls_max_fragment).
    maxDurationSeconds: readNumber(env, 'HLS_MAX_SEGMENT_SECONDS', 10 * targetDurationSeconds, { min: targetDurationSeconds }),
    // HLS_MAX_SEGMENT_BYTES: cut here without a keyframe; also bounds the media held while the tracks are probed. Default 64 MiB.
    maxSegmentBytes: readInteger(env, 'HLS_MAX_SEGMENT_BYTES', DEFAULT_MAX_SEGMENT_BYTES, { min: MIN_MAX_SEGMENT_BYTES }),
  };
}
