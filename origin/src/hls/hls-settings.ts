import { resolve } from 'node:path';
import { readNumber, readString, type Env } from '../../../service-kit/src/env-settings.js';
import { DEFAULT_CLEANUP_AFTER_END_SECONDS } from './hls-directory-writer.js';
import { DEFAULT_WINDOW_SECONDS } from './live-playlist.js';

/** HLS folder settings, read once at start-up. The segment length belongs to the segmenter. */
export interface HlsSettings {
  /** HLS_PATH: where stream folders are written and served from, made absolute. Default .run/hls, as discovery's. */
  hlsPath: string;
  /** HLS_PLAYLIST_LENGTH_SECONDS: media kept in a live playlist. Default 60. */
  playlistLengthSeconds: number;
  /** HLS_SEGMENT_GRACE_SECONDS: how long a segment outlives the playlist. Default: the playlist length. */
  segmentGraceSeconds: number;
  /** HLS_CLEANUP_AFTER_END_SECONDS: how long a finished stream's folder stays. Default 300. */
  cleanupAfterEndSeconds: number;
}

export function readHlsSettings(env: Env): HlsSettings {
  const playlistLengthSeconds = readNumber(env, 'HLS_PLAYLIST_LENGTH_SECONDS', DEFAULT_WINDOW_SECONDS, { min: 1 });
  return {
    hlsPath: resolve(readString(env, 'HLS_PATH', '.run/hls')),
    playlistLengthSeconds,
    segmentGraceSeconds: readNumber(env, 'HLS_SEGMENT_GRACE_SECONDS', playlistLengthSeconds),
    cleanupAfterEndSeconds: readNumber(env, 'HLS_CLEANUP_AFTER_END_SECONDS', DEFAULT_CLEANUP_AFTER_END_SECONDS),
  };
}
