/**
 * The shape of a restream target URL, checked without any I/O: `rtmp://` or `rtmps://`, a host,
 * an application path (the publish URL is `<url>/<stream key>`, so `rtmp://host` alone has no
 * app to connect to), and no credentials (the stream key is the only secret, and it is kept
 * apart so it can be masked).
 */
import { isIPv6 } from 'node:net';

export const TARGET_URL_MAX_LENGTH = 1024;

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);

export type TargetUrlCheck = { ok: true; host: string } | { ok: false; problem: string };

export function checkTargetUrl(value: string): TargetUrlCheck {
  const parsed = parseUserUrl(value, TARGET_URL_MAX_LENGTH, 'rtmp://host/app or rtmps://host:443/app');
  if (!parsed.ok) return parsed;
  const { url } = parsed;
  if (url.protocol !== 'rtmp:' && url.protocol !== 'rtmps:') return { ok: false, problem: 'must start with rtmp:// or rtmps://' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'must not contain credentials (user:password@); put the secret in stream_key' };
  }
  const host = checkHost(url);
  if (!host.ok) return host;
  if (url.hash !== '') return { ok: false, problem: 'must not contain a #fragment' };
  if (url.pathname.split('/').every((segment) => segment === '')) {
    return { ok: false, problem: 'must include the application path, e.g. rtmp://host/app' };
  }
  return { ok: true, host: host.host };
}

/** A URL a user typed: at most `maxLength`, no spaces or control characters, parsed. */
export function parseUserUrl(value: string, maxLength: number, example: string): { ok: true; url: URL } | { ok: false; problem: string } {
  if (value.length > maxLength) return { ok: false, problem: `must be at most ${maxLength} characters` };
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return { ok: false, problem: 'must not contain spaces or control characters' };
  try {
    return { ok: true, url: new URL(value) };
  } catch {
    return { ok: false, problem: `must be a URL like ${example}` };
  }
}

/**
 * The URL's host, without brackets, when it is a host name or an IP address. rtmp: and srt: are
 * not WHATWG special schemes, so their host is opaque to URL: its shape is checked here.
 */
export function checkHost(url: URL): TargetUrlCheck {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') return { ok: false, problem: 'must name a host' };
  if (url.hostname.startsWith('[') ? !isIPv6(host) : !HOST_NAME.test(host)) {
    return { ok: false, problem: 'must name a host name or an IP address' };
  }
  return { ok: true, host };
}

/**
 * The URL as it may appear in a message or log: scheme and host only. Credentials, a query or a
 * path may hold a secret (users paste URLs that end with their stream key).
 */
export function displayUrl(value: string): string {
  try {
    const url = new URL(value);
    const path = url.pathname === '' || url.pathname === '/' ? '' : '/…';
    return `${url.protocol}//${url.host}${path}`;
  } catch {
    return '(not a URL)';
  }
}
