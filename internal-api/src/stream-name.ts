/**
 * Stream names as publishers send them (the RTMP stream key or an open name) and players request
 * them. The pattern is the validation everywhere a name goes: one URL path segment, one folder in
 * HLS_PATH, one part of a Redis key, never `.`, `..` or hidden.
 */
export const STREAM_NAME_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

const STREAM_NAME_REGEX = new RegExp(STREAM_NAME_PATTERN);

export function isStreamName(value: string): boolean {
  return STREAM_NAME_REGEX.test(value);
}
