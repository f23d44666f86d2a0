/**
 * ffmpeg's command line and environment for one pull: read the source, copy its H.264 + AAC into
 * FLV on stdout (the tags an RTMP publisher sends), opening nothing but what the source's scheme
 * needs and reaching HTTP(S) and RTMPS hosts only through the attempt's PullEgressProxy. No I/O.
 */
import { isIPv6 } from 'node:net';

/** Network reads that stall this long end ffmpeg (µs), so a silent source is retried rather than waited on. */
const READ_TIMEOUT_US = 10_000_000;

/**
 * A media file plays at its own pace (`-re`): read as fast as the network allows, an hour-long
 * file would be "live" for seconds. Live sources (RTMP, SRT, an HLS playlist) pace themselves.
 */
export function isMediaFile(url: URL): boolean {
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.pathname.toLowerCase().endsWith('.m3u8');
}

/**
 * The protocols ffmpeg may open for a source of this scheme, nested opens included: a playlist
 * naming `file:` or `udp:` segments, or a redirect to another scheme, fails instead of reading the
 * origin's files or sending datagrams. `httpproxy` is the CONNECT tunnel TLS takes to the proxy.
 */
export function protocolWhitelist(url: URL): string {
  switch (url.protocol) {
    case 'srt:':
      return 'srt';
    case 'rtmp:':
      return 'rtmp,tcp';
    case 'rtmps:':
      return 'rtmps,tls,tcp,httpproxy';
    default:
      // AES-128 HLS decrypts through `crypto`.
      return 'http,https,tls,tcp,httpproxy,crypto';
  }
}

/**
 * The URL ffmpeg opens: an SRT source's host replaced by the address the policy checked, so that
 * no second lookup can answer otherwise (SRT names no host on the wire). Other schemes keep their
 * host: HTTP(S) and RTMPS go through the proxy, which checks every host itself; an RTMP server may
 * tell virtual hosts apart by the host in the connect's tcUrl.
 */
export function pinnedSourceUrl(source: string, checkedAddress: string): string {
  const url = new URL(source);
  if (url.protocol !== 'srt:') return source;
  url.hostname = isIPv6(checkedAddress) ? `[${checkedAddress}]` : checkedAddress;
  return url.href;
}

/**
 * ffmpeg's environment: its http and tls protocols send every connection through `proxyUrl`
 * (http_proxy; a no_proxy of the operator's must not exempt any host).
 */
export function pullFfmpegEnv(base: NodeJS.ProcessEnv, proxyUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, http_proxy: proxyUrl };
  for (const name of ['no_proxy', 'NO_PROXY', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) delete env[name];
  return env;
}

export function pullFfmpegArgs(source: string): string[] {
  const url = new URL(source);
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...(isMediaFile(url) ? ['-re'] : []),
    '-rw_timeout', String(READ_TIMEOUT_US),
    '-protocol_whitelist', protocolWhitelist(url),
    '-i', source,
    // The first video and audio tracks, as they are: no transcoding in a pull.
    '-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy',
    '-f', 'flv', 'pipe:1',
  ];
}
