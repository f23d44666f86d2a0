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

/** A file this origin writes into a stream folder, finished or half-written. */
const OWN_FILE_PATTERN = /^(?:index\.m3u8|[0-9]+\.ts)(?:\.tmp)?$/;

export function isOwnFileName(name: string): boolean {
  return OWN_FILE_PATTERN.test(name);
}
