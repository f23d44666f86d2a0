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

/**
 * The same for a DASH manifest: the SegmentTemplate's `initialization` and `media` (templates
 * with `$Number$`, which players fill in before the query) and any `BaseURL`. The token is
 * percent-encoded, so it needs no XML escaping; a second query parameter is joined with `&amp;`.
 */
export function withManifestPlaybackToken(manifest: string, token: string): string {
  const query = `token=${encodeURIComponent(token)}`;
  const addTo = (uri: string) => `${uri}${uri.includes('?') ? '&amp;' : '?'}${query}`;
  return manifest
    .replace(/\s(initialization|media)="([^"]*)"/g, (_match, name: string, uri: string) => ` ${name}="${addTo(uri)}"`)
    .replace(/<BaseURL>([^<]*)<\/BaseURL>/g, (_match, uri: string) => `<BaseURL>${addTo(uri)}</BaseURL>`);
}
