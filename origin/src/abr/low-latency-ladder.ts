/**
 * An ABR stream's LL-HLS variants, attached to its source's LL output (LowLatencyStream) so the
 * HTTP layer finds them under the stream's name: `ll.m3u8` becomes the multivariant playlist
 * over `source-ll.m3u8` (the source's LL media playlist) and each rendition's
 * `<height>p-ll.m3u8`, with the attributes `index.m3u8` gives the same variants.
 */
import { SOURCE_VARIANT, variantLowLatencyPlaylistFileName } from '../../../llhls-contract/src/llhls-names.js';
import type { DashRendition } from '../dash/dash-renditions.js';
import type { LowLatencyStream, LowLatencyVariants } from '../packaging/low-latency-stream.js';
import type { LowLatencyBoundaries } from './low-latency-boundaries.js';
import { renderMasterPlaylist, type Variant } from './master-playlist.js';
import { RenditionLowLatency, type CreateLowLatencyStream } from './rendition-low-latency.js';

export class LowLatencyLadder implements LowLatencyVariants {
  private readonly renditions = new Map<string, RenditionLowLatency>();
  private multivariant: string | undefined;

  constructor(
    renditionNames: readonly string[],
    boundaries: LowLatencyBoundaries,
    create: CreateLowLatencyStream,
  ) {
    for (const name of renditionNames) this.renditions.set(name, new RenditionLowLatency(name, boundaries, create));
  }

  /** The consumer of a rendition's frames. */
  consumer(rendition: string): RenditionLowLatency | undefined {
    return this.renditions.get(rendition);
  }

  multivariantPlaylist(): string | undefined {
    return this.multivariant;
  }

  rendition(name: string): LowLatencyStream | undefined {
    return this.renditions.get(name)?.output;
  }

  /** Tallest first, as `index.mpd` lists them after the source. */
  dashRenditions(): DashRendition[] {
    const listed: DashRendition[] = [];
    for (const [name, rendition] of this.renditions) if (rendition.output) listed.push({ name, timeline: rendition.output.dash });
    return listed;
  }

  /**
   * `index.m3u8`'s variants (`source.m3u8`, `<height>p.m3u8`) make `ll.m3u8`: the same
   * attributes, each variant's LL media playlist. A rendition without LL output yet is left out.
   */
  update(variants: readonly Variant[]): void {
    const listed: Variant[] = [];
    for (const variant of variants) {
      const name = variant.uri.replace(/\.m3u8$/, '');
      if (name !== SOURCE_VARIANT && !this.rendition(name)) continue;
      listed.push({ ...variant, uri: variantLowLatencyPlaylistFileName(name) });
    }
    this.multivariant = renderMasterPlaylist(listed);
  }

  end(): void {
    for (const rendition of this.renditions.values()) rendition.end();
  }

  close(): void {
    for (const rendition of this.renditions.values()) rendition.close();
    this.renditions.clear();
  }
}
