/** RTMP/FLV to HLS MPEG-TS: the segmenter and what its callers need to drive and test it. */
export { DEFAULT_MAX_SEGMENT_BYTES, HlsSegmenter, type HlsSegmenterOptions, type Segment, type SegmenterEvent, type TrackInfo } from './segmenter.js';
export type { AudioTrackInfo, VideoTrackInfo } from './stream-config.js';
export { FLV_TAG_AUDIO, FLV_TAG_SCRIPT, FLV_TAG_VIDEO, type FlvTag } from './flv-tag.js';
export { readFlvTags } from './flv-file-reader.js';
export { MediaFormatError } from './media-format-error.js';
