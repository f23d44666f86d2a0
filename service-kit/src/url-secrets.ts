/**
 * A user's source URL may carry secrets: `user:password@`, or a query such as SRT's
 * `?streamid=…&passphrase=…` or a signed HLS URL's `?token=…`. Answers, logs and reported errors
 * show the URL with those parts masked; the real URL only goes to the process that connects.
 */

const MASK = '****';
/** Shorter pieces are not searched for in free text: a `?v=1` would mask every 1. */
const MIN_SECRET_LENGTH = 4;

/** The URL with its credentials and every query value replaced by ****; keys, host and path stay. */
export function maskUrlSecrets(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(not a URL)';
  }
  if (url.username !== '') url.username = MASK;
  if (url.password !== '') url.password = MASK;
  const keys = [...url.searchParams.keys()];
  if (keys.length > 0) url.search = keys.map((key) => `${encodeURIComponent(key)}=${MASK}`).join('&');
  url.hash = '';
  return url.toString();
}

/**
 * `text` (a tool's error output) with the URL and each of its secret parts masked, as they
 * appear raw or percent-decoded.
 */
export function redactUrlSecrets(text: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return text.split(value).join(MASK);
  }
  let redacted = text.split(value).join(maskUrlSecrets(value));
  const secrets = [url.username, url.password, ...url.searchParams.values()].flatMap((piece) => [piece, safeDecode(piece)]);
  for (const secret of new Set(secrets)) {
    if (secret.length >= MIN_SECRET_LENGTH) redacted = redacted.split(secret).join(MASK);
  }
  return redacted;
}

function safeDecode(piece: string): string {
  try {
    return decodeURIComponent(piece);
  } catch {
    return piece;
  }
}
