/**
 * The head of an HTTP/1.x request sent to a forward proxy (RFC 9110 9.3.6, RFC 9112 3.2): a
 * `CONNECT host:port` tunnel, or a `GET`/`HEAD` with an absolute `http://` target. Parses it and
 * writes the head the proxy forwards to the server. No I/O.
 */

/** The most a head may take, request line and headers; ffmpeg's are a few hundred bytes. */
export const MAX_PROXY_HEAD_BYTES = 16 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n');

export class ProxyRequestError extends Error {
  constructor(
    /** The status the proxy answers with. */
    readonly status: 400 | 405 | 431,
    message: string,
  ) {
    super(message);
  }
}

export type ProxyRequest =
  | { kind: 'connect'; host: string; port: number }
  | { kind: 'forward'; host: string; port: number; method: 'GET' | 'HEAD'; path: string; headers: Array<[string, string]> };

/** Where the head ends (the index after its blank line), or -1 while it is incomplete. Throws 431 past MAX_PROXY_HEAD_BYTES. */
export function proxyHeadEnd(received: Buffer): number {
  const end = received.indexOf(HEAD_END);
  if (end >= 0 && end + HEAD_END.length <= MAX_PROXY_HEAD_BYTES) return end + HEAD_END.length;
  if (end >= 0 || received.length >= MAX_PROXY_HEAD_BYTES) throw new ProxyRequestError(431, `request head over ${MAX_PROXY_HEAD_BYTES} bytes`);
  return -1;
}

/** Parses a complete head (up to and including its blank line). */
export function parseProxyRequest(head: Buffer): ProxyRequest {
  const lines = head.toString('latin1').split('\r\n');
  // A bare LF or a NUL inside a line could end it differently for the server than here.
  if (lines.some((line) => /[\n\0]/.test(line))) throw new ProxyRequestError(400, 'a bare LF or NUL in the request head');
  const [method, target, version, ...rest] = (lines[0] ?? '').split(' ');
  if (!method || !target || rest.length > 0 || !/^HTTP\/1\.[01]$/.test(version ?? '')) {
    throw new ProxyRequestError(400, 'malformed request line');
  }
  if (method === 'CONNECT') return { kind: 'connect', ...authority(target, undefined) };
  if (method !== 'GET' && method !== 'HEAD') throw new ProxyRequestError(405, `method ${method} is not proxied`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ProxyRequestError(400, 'the target is not an absolute URL');
  }
  if (url.protocol !== 'http:') throw new ProxyRequestError(400, `scheme ${url.protocol} is not proxied (https goes through CONNECT)`);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ProxyRequestError(400, 'malformed header line');
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { kind: 'forward', ...authority(url.host, 80), method, path: `${url.pathname}${url.search}`, headers };
}

/** `host:port` or `[v6]:port`; the port may be left out only where a default is given. */
function authority(text: string, defaultPort: number | undefined): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/@\s]+))(?::([0-9]{1,5}))?$/.exec(text);
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  if (!match || port === undefined || port < 1 || port > 65_535) throw new ProxyRequestError(400, 'malformed host and port');
  return { host: (match[1] ?? match[2])!, port };
}

/** Hop-by-hop and proxy headers, which stop at the proxy (RFC 9110 7.6.1). */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

/**
 * The head sent to the server: origin-form target, the client's end-to-end headers, and
 * `Connection: close`, so that one connection carries one request to the host that was checked
 * (a kept-alive client would send its next request, maybe for another host, down this one).
 */
export function forwardedHead(request: Extract<ProxyRequest, { kind: 'forward' }>): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  for (const [name, value] of request.headers) if (!NOT_FORWARDED.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  lines.push('Connection: close', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** A short answer from the proxy itself, closing the connection. */
export function proxyAnswer(status: number, reason: string, message: string): Buffer {
  const body = `${JSON.stringify({ error: message })}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}
