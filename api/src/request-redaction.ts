/**
 * What of a request may be echoed in an error or written to a log. Stream keys (`publish_…`) and
 * API tokens (`lst_…`) are recognised by their prefix, even mistyped ones, wherever a client put
 * them: a key pasted as a stream name ends up in a path, nginx-rtmp's on_publish sends it in
 * the query string.
 */
const SECRET_LOOKING = /^(?:publish[_/]|lst_)/;

export const REDACTED = '[redacted]';

export function looksSecret(value: unknown): boolean {
  return typeof value === 'string' && SECRET_LOOKING.test(value);
}

/** The value, or `[redacted]` when it looks like a stream key or an API token. */
export function redactSecretLooking(value: unknown): unknown {
  return looksSecret(value) ? REDACTED : value;
}

/** The URL without its query string, which may carry publisher credentials or playback tokens. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The URL as request logs show it: no query string, and no path segment that looks like a secret. */
export function loggablePath(url: string): string {
  return pathOf(url)
    .split('/')
    .map((segment) => (looksSecret(decoded(segment)) ? REDACTED : segment))
    .join('/');
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
