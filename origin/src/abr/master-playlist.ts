/**
 * The multivariant playlist an ABR stream's `index.m3u8` becomes (RFC 8216 §4.3.4.2): one
 * EXT-X-STREAM-INF per variant, the source first, then the renditions tallest first. Playlists
 * are data: a typed list in, exact text out. No I/O.
 */

export interface Variant {
  /** The media playlist, relative to the multivariant one: `source.m3u8`, `360p.m3u8`. */
  uri: string;
  /** Peak bits per second (a segment's bytes over its duration, the largest seen). */
  bandwidth: number;
  averageBandwidth: number;
  width?: number;
  height?: number;
  /** RFC 6381 codec strings of its tracks. */
  codecs: readonly string[];
  frameRate?: number;
}

export function renderMasterPlaylist(variants: readonly Variant[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const variant of variants) {
    const attributes = [`BANDWIDTH=${Math.ceil(variant.bandwidth)}`, `AVERAGE-BANDWIDTH=${Math.ceil(variant.averageBandwidth)}`];
    if (variant.width && variant.height) attributes.push(`RESOLUTION=${variant.width}x${variant.height}`);
    if (variant.codecs.length > 0) attributes.push(`CODECS="${variant.codecs.join(',')}"`);
    if (variant.frameRate) attributes.push(`FRAME-RATE=${variant.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Rounds a measured bandwidth up to two significant digits, so the playlist is rewritten when a
 * figure really moves, not with every segment's jitter.
 */
export function roundBandwidth(bitsPerSecond: number): number {
  if (!(bitsPerSecond > 0)) return 0;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(bitsPerSecond)) - 1);
  return Math.ceil(bitsPerSecond / step) * step;
}
