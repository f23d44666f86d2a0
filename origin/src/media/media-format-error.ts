/** Malformed or unsupported bytes in a publisher's stream; the message names what was wrong. */
export class MediaFormatError extends Error {
  override readonly name = 'MediaFormatError';
  readonly code = 'LIVE_ERR_MEDIA_FORMAT';
}
