/**
 * Names of the Low-Latency HLS files of one stream, served beside the MPEG-TS ones under
 * `/<stream>/`. One module names them, so that the playlist, the packager that stores the bytes
 * and the HTTP layers (origin and edge) that recognise them cannot disagree; this matters most
 * for the preload hint, whose URI must be the one the part later gets (RFC 8216bis 4.4.5.3).
 *
 * The URL decision: the LL playlist is a second URL, `/<stream>/ll.m3u8`, and `/<stream>/index.m3u8`
 * stays the MPEG-TS playlist it is today.
 * - Players that follow LL tags switch to them on their own: hls.js (lowLatencyMode is on by
 *   default) and Safari (iOS 14 and later) would put every viewer of `index.m3u8` on a one-second
 *   hold-back, with less buffer against a poor network. A second URL leaves that choice to the
 *   page. VLC and ffplay ignore parts and would play either, but the TS playlist is the one they
 *   have been tested with, and TS is what older TVs and set-top boxes need.
 * - The two playlists behave differently on the wire: `index.m3u8` changes once a segment and is
 *   reused by the edge for half a target duration; `ll.m3u8` changes with every part (three times
 *   a second) and answers blocking `_HLS_msn`/`_HLS_part` requests, whose query must be part of the
 *   cache key. A file name is all an edge or a CDN needs to tell them apart.
 * - They cannot share one multivariant playlist either: EXT-X-SERVER-CONTROL must be in all of
 *   its media playlists or in none (RFC 8216bis 6.2.4).
 * - Both run side by side, so the latency benchmark compares them in one run.
 *
 * Media names: every name holds the media sequence number. The packager must start a stream's
 * from the clock in milliseconds, as the MPEG-TS writer does (HlsDirectoryWriter), and it only
 * ever increases, so a name is never reused and each file may be cached as immutable.
 * - `<msn>.m4s`: a whole segment (its parts back to back), for players that do not load parts.
 * - `<msn>.<part>.m4s`: part `<part>` (from 0) of segment `<msn>`; the edge recognises a part, and
 *   the segment it belongs to, from the name alone.
 * - `init-<msn>.mp4`: the init section (EXT-X-MAP) that starts with segment `<msn>`; a new one comes
 *   with new tracks or codec settings, and the old one stays valid for the segments before.
 * Parts are separate files rather than byte ranges of the segment: a hinted part is then an
 * ordinary request for one small object that the edge can hold, coalesce and cache, instead of an
 * open-ended range of a file still being written.
 *
 * ABR (a stream with renditions, see origin/src/abr/): `ll.m3u8` becomes the multivariant
 * playlist, as `index.m3u8` does for MPEG-TS. Each variant's LL media playlist is
 * `<variant>-ll.m3u8`: `source-ll.m3u8` (whose media keep the names above) and
 * `<height>p-ll.m3u8` for a rendition, whose media are the names above prefixed with
 * `<height>p-` (`360p-<msn>.<part>.m4s`, `360p-<msn>.m4s`, `360p-init-<msn>.mp4`), as its MPEG-TS
 * segments are `360p-<n>.ts`. Still flat under `/<stream>/`: the edge's one route per stream
 * serves every variant, and the name alone tells it a blocking playlist from a part.
 */

export const LOW_LATENCY_PLAYLIST_FILE_NAME = 'll.m3u8';

/** The variant whose LL media playlist is `source-ll.m3u8` under ABR. */
export const SOURCE_VARIANT = 'source';

/** `source-ll.m3u8`, `360p-ll.m3u8`: one variant's LL media playlist under ABR. */
export function variantLowLatencyPlaylistFileName(variant: string): string {
  return `${variant}-${LOW_LATENCY_PLAYLIST_FILE_NAME}`;
}

/** Which LL playlist a name is: the stream's entry point (`ll.m3u8`) or one variant's; undefined for any other name. */
export type LowLatencyPlaylistName = { kind: 'entry' } | { kind: 'variant'; variant: string };

const RENDITION = '[1-9][0-9]{1,3}p';
const VARIANT_PLAYLIST_NAME = new RegExp(`^(${SOURCE_VARIANT}|${RENDITION})-ll\\.m3u8$`);

export function parseLowLatencyPlaylistName(name: string): LowLatencyPlaylistName | undefined {
  if (name === LOW_LATENCY_PLAYLIST_FILE_NAME) return { kind: 'entry' };
  const variant = VARIANT_PLAYLIST_NAME.exec(name);
  return variant ? { kind: 'variant', variant: variant[1]! } : undefined;
}

/** Any LL playlist, blocking reload and all: the entry point or a variant's. */
export function isLowLatencyPlaylistName(name: string): boolean {
  return parseLowLatencyPlaylistName(name) !== undefined;
}

export function lowLatencySegmentFileName(mediaSequenceNumber: number): string {
  return `${mediaSequenceNumber}.m4s`;
}

export function partFileName(mediaSequenceNumber: number, partIndex: number): string {
  return `${mediaSequenceNumber}.${partIndex}.m4s`;
}

export function initSectionFileName(mediaSequenceNumber: number): string {
  return `init-${mediaSequenceNumber}.mp4`;
}

/** What a low-latency media file name refers to; `rendition` for an ABR rendition's (`360p`), absent for the source's. */
export type LowLatencyMediaName = (
  | { kind: 'segment'; mediaSequenceNumber: number }
  | { kind: 'part'; mediaSequenceNumber: number; partIndex: number }
  | { kind: 'init'; mediaSequenceNumber: number }
) & { rendition?: string };

const PREFIX = `(?:(${RENDITION})-)?`;
const SEGMENT_NAME = new RegExp(`^${PREFIX}(0|[1-9][0-9]*)\\.m4s$`);
const PART_NAME = new RegExp(`^${PREFIX}(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.m4s$`);
const INIT_NAME = new RegExp(`^${PREFIX}init-(0|[1-9][0-9]*)\\.mp4$`);

/** Any of the names above, as one pattern (JSON schema `pattern`). */
export const LOW_LATENCY_MEDIA_NAME_PATTERN = [PART_NAME, SEGMENT_NAME, INIT_NAME].map((name) => `(${name.source})`).join('|');

/** Reads a name written by the functions above; undefined for any other name (also `007.m4s`). */
export function parseLowLatencyMediaName(name: string): LowLatencyMediaName | undefined {
  const part = PART_NAME.exec(name);
  if (part) return safe({ kind: 'part', mediaSequenceNumber: Number(part[2]), partIndex: Number(part[3]) }, part[1]);
  const segment = SEGMENT_NAME.exec(name);
  if (segment) return safe({ kind: 'segment', mediaSequenceNumber: Number(segment[2]) }, segment[1]);
  const init = INIT_NAME.exec(name);
  if (init) return safe({ kind: 'init', mediaSequenceNumber: Number(init[2]) }, init[1]);
  return undefined;
}

function safe(name: LowLatencyMediaName, rendition: string | undefined): LowLatencyMediaName | undefined {
  const numbers = name.kind === 'part' ? [name.mediaSequenceNumber, name.partIndex] : [name.mediaSequenceNumber];
  if (!numbers.every(Number.isSafeInteger)) return undefined;
  return rendition === undefined ? name : { ...name, rendition };
}

/**
 * How the playlist names its media, relative to the playlist's URL. The packager stores files
 * under the same names; tests may hand in another scheme.
 */
export interface LowLatencyNaming {
  segment(mediaSequenceNumber: number): string;
  part(mediaSequenceNumber: number, partIndex: number): string;
  init(mediaSequenceNumber: number): string;
}

export const LOW_LATENCY_FILE_NAMING: LowLatencyNaming = {
  segment: lowLatencySegmentFileName,
  part: partFileName,
  init: initSectionFileName,
};

/** A rendition's media: the source's names prefixed with `<rendition>-`. */
export function renditionLowLatencyNaming(rendition: string): LowLatencyNaming {
  return {
    segment: (msn) => `${rendition}-${lowLatencySegmentFileName(msn)}`,
    part: (msn, partIndex) => `${rendition}-${partFileName(msn, partIndex)}`,
    init: (msn) => `${rendition}-${initSectionFileName(msn)}`,
  };
}
