/**
 * The shape of a pull source's URL, checked without any I/O (the address policy resolves its
 * host next). Unlike a restream target's, it may carry credentials and a query (an SRT streamid
 * or passphrase, a signed HLS URL): answers and logs show it through maskUrlSecrets.
 */
import { checkHost, parseUserUrl, type TargetUrlCheck } from '../restream/target-url.js';

export const PULL_URL_MAX_LENGTH = 2048;
export const PULL_SCHEMES = ['rtmp:', 'rtmps:', 'srt:', 'http:', 'https:'] as const;

export function checkPullUrl(value: string): TargetUrlCheck {
  const parsed = parseUserUrl(value, PULL_URL_MAX_LENGTH, 'rtmp://host/app/name, srt://host:port or https://host/live.m3u8');
  if (!parsed.ok) return parsed;
  const { url } = parsed;
  if (!(PULL_SCHEMES as readonly string[]).includes(url.protocol)) {
    return { ok: false, problem: 'must start with rtmp://, rtmps://, srt://, http:// or https://' };
  }
  const host = checkHost(url);
  if (!host.ok) return host;
  if (url.hash !== '') return { ok: false, problem: 'must not contain a #fragment' };
  if (url.protocol === 'srt:' && url.port === '') return { ok: false, problem: 'must name the port, e.g. srt://host:9000' };
  if ((url.protocol === 'rtmp:' || url.protocol === 'rtmps:') && url.pathname.split('/').filter((part) => part !== '').length < 2) {
    return { ok: false, problem: 'must name the application and the stream, e.g. rtmp://host/live/name' };
  }
  return host;
}
