/** Failures of a stream's fallback video. Messages name the stream and the version, never a key. */

/** The file cannot be played: not an FLV, or no audio or video frame in it. */
export class FallbackMediaError extends Error {
  readonly code = 'LIVE_ERR_FALLBACK_MEDIA';
  override readonly name = 'FallbackMediaError';
}

/** The API did not hand the file over: an error status, a transfer cut short, a file too large. */
export class FallbackDownloadError extends Error {
  readonly code = 'LIVE_ERR_FALLBACK_DOWNLOAD';
  override readonly name = 'FallbackDownloadError';
}
