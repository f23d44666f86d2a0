/**
 * A stream's `allowed_origins`: the web sites that may play it. The API validates and stores the
 * patterns; the edge matches each request's Origin (or Referer) against them. Pure, no I/O.
 *
 * A pattern is a host as browsers send it in Origin, lowercase:
 *   example.com            that host on the scheme's default port (80 or 443)
 *   app.example.com:8443   that host on that port
 *   *.example.com          any subdomain of example.com at any depth (not example.com itself);
 *                          a port may follow, as above
 *   [::1]:8080             an IPv6 literal, in brackets
 * The scheme is not part of the pattern: http and https both match. A default port is written
 * without its number (`example.com`, not `example.com:443`).
 */

/** `allowed_origins` holds at most this many patterns. */
export const MAX_ALLOWED_ORIGINS = 32;

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = `${LABEL}(?:\\.${LABEL})*`;
const IPV6_LITERAL = '\\[[0-9a-f:.]{2,45}\\]';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';

/** Every valid pattern (after lowercasing), for schemas and validation. */
export const ALLOWED_ORIGIN_PATTERN = `^(?:(?:\\*\\.)?${HOST_NAME}|${IPV6_LITERAL})(?::${PORT})?$`;
/** Longest pattern: a 253-character host name, `*.`, and `:65535`. */
export const MAX_ALLOWED_ORIGIN_LENGTH = 2 + 253 + 6;

const PATTERN_REGEX = new RegExp(ALLOWED_ORIGIN_PATTERN);

/** Patterns compare in lowercase: hosts are case-insensitive and Origin sends them lowercase. */
export function normalizeAllowedOrigin(pattern: string): string {
  return pattern.toLowerCase();
}

export function isAllowedOriginPattern(pattern: string): boolean {
  if (pattern.length > MAX_ALLOWED_ORIGIN_LENGTH) return false;
  const normalized = normalizeAllowedOrigin(pattern);
  // The URL parser also rejects what the expression lets through in an IPv6 literal ([1::2::3]).
  return PATTERN_REGEX.test(normalized) && URL.canParse(`http://${normalized.replace(/^\*\./, '')}`);
}

interface CompiledPattern {
  /** The host name (with brackets for IPv6); for a wildcard, the part after `*.`. */
  host: string;
  wildcard: boolean;
  /** '' for the scheme's default port, as URL.port reports it. */
  port: string;
}

/** The patterns of one stream, compiled once and matched against many requests. */
export class AllowedOrigins {
  private readonly patterns: readonly CompiledPattern[];

  /** Invalid patterns are skipped (the API never stores one). */
  constructor(patterns: readonly string[]) {
    this.patterns = patterns.filter(isAllowedOriginPattern).map(compile);
  }

  /** An empty list allows every origin. */
  get restricted(): boolean {
    return this.patterns.length > 0;
  }

  /**
   * Whether a request from `pageUrl` may play: an Origin header value (`https://app.example.com`)
   * or a Referer (any http(s) URL of the page). Without either, or with `null` (sandboxed frames,
   * file://), only an unrestricted stream plays.
   */
  allows(pageUrl: string | undefined): boolean {
    if (!this.restricted) return true;
    if (pageUrl === undefined) return false;
    let url: URL;
    try {
      url = new URL(pageUrl);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    // URL lowercases the host, converts IDN to punycode and drops a default port.
    const { hostname, port } = url;
    return this.patterns.some(
      (pattern) =>
        pattern.port === port &&
        (pattern.wildcard ? hostname.endsWith(`.${pattern.host}`) : hostname === pattern.host),
    );
  }
}

function compile(pattern: string): CompiledPattern {
  const normalized = normalizeAllowedOrigin(pattern);
  const wildcard = normalized.startsWith('*.');
  const host = wildcard ? normalized.slice(2) : normalized;
  // Parse as a URL's host so the comparison uses the form URL gives the request (IPv6 compressed).
  const parsed = new URL(`http://${host}`);
  return { host: parsed.hostname, wildcard, port: parsed.port };
}
