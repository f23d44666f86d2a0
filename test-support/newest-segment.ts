import HLS from 'hls-parser';

/**
 * The URI of the newest segment in `stream`'s playlist as the HTTP server at `baseUrl` (an edge,
 * an origin, HAProxy) serves it; undefined while it serves none (not live yet, unreachable).
 */
export async function newestSegment(baseUrl: string, stream: string): Promise<string | undefined> {
  const response = await fetch(`${baseUrl}/${stream}/index.m3u8`).catch(() => undefined);
  if (response?.status !== 200) {
    await response?.body?.cancel();
    return undefined;
  }
  return (HLS.parse(await response.text()) as HLS.types.MediaPlaylist).segments.at(-1)?.uri;
}
