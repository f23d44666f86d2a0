/**
 * Carries a viewer's playback token into the URIs of a media playlist, so that the segments
 * (and init sections, parts and preload hints) the player fetches next pass the same check as the
 * playlist. Pure text in, text out: the cached playlist is shared, each viewer gets its own copy.
 */
export function withPlaybackToken(playlist: string, token: string): string {
  const query = `token=${encodeURIComponent(token)}`;
  const addTo = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
  return playlist
    .split('\n')
    .map((line) => {
      if (line === '' || line === '\r') return line;
      if (!line.startsWith('#')) return addTo(line.trimEnd());
      // Tags that name a URI in an attribute: EXT-X-MAP, EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-RENDITION-REPORT, ...
      return line.replace(/URI="([^"]*)"/g, (_match, uri: string) => `URI="${addTo(uri)}"`);
    })
    .join('\n');
}
