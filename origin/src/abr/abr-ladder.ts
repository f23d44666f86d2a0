/**
 * Which renditions a stream gets: the grant's ladder against the source's picture. Never
 * upscaled: a rung as tall as the source or taller is skipped, the source already plays as it is.
 */
import type { AbrRung } from '../../../internal-api/src/abr-contract.js';
import { renditionName } from '../hls/hls-names.js';

export interface Rendition {
  /** `360p`: names its playlist and segments. */
  name: string;
  width: number;
  height: number;
  videoBitrateBps: number;
}

/** Tallest first, as the ladder is listed; widths keep the source's aspect, rounded to even. */
export function renditionsFor(ladder: readonly AbrRung[], source: { width: number; height: number }): Rendition[] {
  return ladder
    .filter((rung) => rung.height < source.height)
    .sort((a, b) => b.height - a.height)
    .map((rung) => ({
      name: renditionName(rung.height),
      width: Math.max(2, Math.round((rung.height * source.width) / source.height / 2) * 2),
      height: rung.height,
      videoBitrateBps: rung.bitrate_bps,
    }));
}
