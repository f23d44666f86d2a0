/**
 * A target's base URL and stream key to what an RTMP client needs: where to connect, the `app`
 * and `tcUrl` of the connect command, and the stream name to publish. The publish URL is
 * `url + '/' + streamKey`, as every platform documents it (rtmp://live.twitch.tv/app + key).
 */
import { TargetUrlError } from './restream-errors.js';

export const RTMP_DEFAULT_PORT = 1935;
export const RTMPS_DEFAULT_PORT = 443;

export interface RtmpEndpoint {
  secure: boolean;
  /** Host name or IP address, without IPv6 brackets. */
  host: string;
  port: number;
  /** Everything between the host and the stream name, e.g. `app` or `live2` or `app/instance`. */
  app: string;
  /** `rtmp[s]://host[:port]/app`, as the connect command's tcUrl. */
  tcUrl: string;
  /** The stream key (secret), possibly with a `?query` the platform wants. */
  streamName: string;
  /** For logs, errors and status: the URL without the stream key. */
  label: string;
}

/**
 * Parses `url` (rtmp:// or rtmps://) and `streamKey`. An empty key means the URL already ends
 * with the stream name, as some custom servers hand out one URL for both.
 */
export function parseRtmpTarget(url: string, streamKey: string): RtmpEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new TargetUrlError('the target URL is not a URL (expected rtmp://host[:port]/app or rtmps://...)');
  }
  const scheme = parsed.protocol;
  if (scheme !== 'rtmp:' && scheme !== 'rtmps:') {
    throw new TargetUrlError(`the target URL scheme "${scheme}" is not rtmp: or rtmps:`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new TargetUrlError('the target URL has no host');
  const secure = scheme === 'rtmps:';
  const port = parsed.port === '' ? (secure ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT) : Number(parsed.port);

  const segments = parsed.pathname.split('/').filter((segment) => segment !== '');
  let streamName = streamKey.trim();
  if (streamName === '') {
    if (segments.length < 2) throw new TargetUrlError('the target has no stream key');
    streamName = segments.pop()!;
  }
  // A query on the base URL belongs to the app (some servers authenticate the connect with it).
  const app = segments.join('/') + parsed.search;
  if (segments.length === 0) throw new TargetUrlError('the target URL has no application path (e.g. rtmp://host/app)');

  const tcUrl = `${scheme}//${parsed.host}/${app}`;
  // Without the query either: it may carry a token.
  const label = `${scheme}//${parsed.host}/${segments.join('/')}`;
  return { secure, host, port, app, tcUrl, streamName, label };
}
