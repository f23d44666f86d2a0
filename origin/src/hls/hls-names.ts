/**
 * Names in the HLS folder (`HLS_PATH/<stream>/index.m3u8`, `HLS_PATH/<stream>/<sequence>.ts`,
 * nginx-rtmp's `hls_nested on` layout). The writer only creates names that the HTTP server
 * serves and that the start-up sweep recognises, so all three read them from here.
 */

/** A stream name is one path segment that cannot be `.`, `..` or hidden: the contract's. */
export { STREAM_NAME_PATTERN, isStreamName } from '../../../internal-api/src/stream-name.js';

export const PLAYLIST_FILE_NAME = 'index.m3u8';

/** Suffix of a file being written; it is renamed into place once complete. */
export const TEMPORARY_SUFFIX = '.tmp';

export function segmentFileName(mediaSequenceNumber: number): string {
  return `${mediaSequenceNumber}.ts`;
}

/**
 * With ABR on, `index.m3u8` is the multivariant playlist and the source's media playlist is this
 * one, beside the renditions' `<rendition>.m3u8` (see abr/).
 */
export { ABR_SOURCE_PLAYLIST as SOURCE_PLAYLIST_FILE_NAME } from '../../../internal-api/src/abr-contract.js';

/** An ABR rendition's name: its height, `360p`. */
export const RENDITION_NAME_PATTERN = /^[0-9]{2,4}p$/;

export function renditionName(height: number): string {
  return `${height}p`;
}

export function renditionPlaylistFileName(rendition: string): string {
  return `${rendition}.m3u8`;
}

/** A rendition's segments sit beside the source's in the stream folder, prefixed with its name. */
export function renditionSegmentFileName(rendition: string, mediaSequenceNumber: number): string {
  return `${rendition}-${segmentFileName(mediaSequenceNumber)}`;
}

/**
 * A file this origin writes into a stream folder, finished or half-written: renditions' too, and
 * the LL-HLS segments LowLatencyStream spills there (`<msn>.m4s`, a rendition's `360p-<msn>.m4s`;
 * see llhls-contract), so the start-up sweep and a finished stream's cleanup remove them. Also
 * the DASH track segments (`v-<period>-<n>.m4s`) origins before 2026-12 wrote beside them.
 */
const OWN_FILE_PATTERN =
  /^(?:(?:index|source|[0-9]{2,4}p)\.m3u8|(?:[0-9]{2,4}p-)?[0-9]+\.ts|(?:[0-9]{2,4}p-)?(?:[va]-[0-9]+-)?[0-9]+\.m4s)(?:\.tmp)?$/;

export function isOwnFileName(name: string): boolean {
  return OWN_FILE_PATTERN.test(name);
}
