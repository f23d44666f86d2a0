import HLS from 'hls-parser';

/** A request that gets no answer this long counts as no answer: a poll never hangs. */
const PLAYLIST_TIMEOUT_MS = 10_000;

/**
 * The segment URIs, oldest first, in `stream`'s playlist as the HTTP server at `baseUrl` (an edge,
 * an origin, HAProxy) serves it; undefined while it serves none (not live yet, unreachable).
 */
export async function playlistSegments(
  baseUrl: string,
  stream: string,
  { timeoutMs = PLAYLIST_TIMEOUT_MS, headers = {} }: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<string[] | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(`${baseUrl}/${stream}/index.m3u8`, { signal, headers }).catch(() => undefined);
  if (response?.status !== 200) {
    await response?.body?.cancel();
    return undefined;
  }
  const text = await response.text().catch(() => undefined);
  return text === undefined ? undefined : (HLS.parse(text) as HLS.types.MediaPlaylist).segments.map((segment) => segment.uri);
}

/** The URI of the newest segment in `stream`'s playlist at `baseUrl`; undefined while it serves none. */
export async function newestSegment(baseUrl: string, stream: string, options: { timeoutMs?: number } = {}): Promise<string | undefined> {
  return (await playlistSegments(baseUrl, stream, options))?.at(-1);
}
