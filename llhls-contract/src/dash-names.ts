/**
 * Names of the DASH files of one stream, served from the same CMAF chunks as LL-HLS under
 * `/<stream>/`. One module names them, so that the MPD, the packager that stores the bytes and
 * the HTTP layers (origin and edge) that recognise them cannot disagree.
 *
 * Flat under `/<stream>/`, as every other file: the edge proxies `/<stream>/<file>` and nothing
 * deeper, and a flat name is all an edge or a CDN needs to tell a manifest from a segment.
 * - `index.mpd`: the manifest (`type="dynamic"`). It changes while the stream is live: a cache
 *   treats it like a playlist.
 * - `v-init-<period>.mp4`, `a-init-<period>.mp4`: one track's init segment; `<period>` is the
 *   media sequence number of the segment it starts with (as LL-HLS's `init-<msn>.mp4`). A new
 *   init starts a new DASH Period, named the same.
 * - `v-<period>-<n>.m4s`, `a-<period>-<n>.m4s`: the video or audio of the LL-HLS segment whose
 *   media sequence number is `<period> + <n>`: that track's chunks of its parts. The MPD names
 *   them `v-<period>-$Number$.m4s`. The media sequence number itself would be a shorter name, but
 *   it starts from the clock in milliseconds (about 2^40), and ffmpeg's DASH reader formats
 *   `$Number$` as a 32-bit int. `<period>` only grows and is never reused while the origin lives,
 *   `<n>` counts within it: every segment may be cached as immutable.
 * The one-letter track prefix keeps them apart from the LL-HLS names (`<msn>.m4s`,
 * `init-<msn>.mp4`), which start with a digit or `init-`.
 * - ABR: a rendition's video is another Representation of the video AdaptationSet, its files the
 *   names above prefixed with the rendition's, as its LL-HLS and MPEG-TS files are:
 *   `360p-v-init-<period>.mp4`, `360p-v-<period>-<n>.m4s` (`<period>` the rendition's own init).
 */

export const DASH_MANIFEST_FILE_NAME = 'index.mpd';

export type DashTrackKind = 'video' | 'audio';

const PREFIX: Record<DashTrackKind, string> = { video: 'v', audio: 'a' };

/** `period`: the media sequence number the Period starts with; `mediaSequenceNumber`: the segment's, not below it. `rendition`: an ABR rendition's (`360p`). */
export function dashSegmentFileName(kind: DashTrackKind, period: number, mediaSequenceNumber: number, rendition?: string): string {
  return `${prefixOf(rendition)}${PREFIX[kind]}-${period}-${mediaSequenceNumber - period}.m4s`;
}

export function dashInitFileName(kind: DashTrackKind, period: number, rendition?: string): string {
  return `${prefixOf(rendition)}${PREFIX[kind]}-init-${period}.mp4`;
}

/** SegmentTemplate@media of a Period: `$Number$` is the segment's media sequence number minus the Period's. */
export function dashMediaTemplate(kind: DashTrackKind, period: number, rendition?: string): string {
  return `${prefixOf(rendition)}${PREFIX[kind]}-${period}-$Number$.m4s`;
}

function prefixOf(rendition: string | undefined): string {
  return rendition === undefined ? '' : `${rendition}-`;
}

/** What a DASH media file name refers to; `rendition` for an ABR rendition's, absent for the source's. */
export type DashMediaName = (
  | { kind: 'segment'; track: DashTrackKind; period: number; mediaSequenceNumber: number }
  | { kind: 'init'; track: DashTrackKind; period: number }
) & { rendition?: string };

const NUMBER = '(0|[1-9][0-9]*)';
const RENDITION = '(?:([1-9][0-9]{1,3}p)-)?';
const SEGMENT_NAME = new RegExp(`^${RENDITION}([va])-${NUMBER}-${NUMBER}\\.m4s$`);
const INIT_NAME = new RegExp(`^${RENDITION}([va])-init-${NUMBER}\\.mp4$`);

/** Every name above, the manifest's too, as one pattern (JSON schema `pattern`). */
export const DASH_FILE_NAME_PATTERN = [/^index\.mpd$/.source, SEGMENT_NAME.source, INIT_NAME.source].join('|');

/** Reads a name written by the functions above; undefined for any other name (also `v-007-1.m4s`, `v-init-1.m4s`). */
export function parseDashMediaName(name: string): DashMediaName | undefined {
  const segment = SEGMENT_NAME.exec(name);
  if (segment) {
    const period = Number(segment[3]);
    const mediaSequenceNumber = period + Number(segment[4]);
    if (!Number.isSafeInteger(mediaSequenceNumber)) return undefined;
    return withRendition({ kind: 'segment', track: trackOf(segment[2]!), period, mediaSequenceNumber }, segment[1]);
  }
  const init = INIT_NAME.exec(name);
  if (!init || !Number.isSafeInteger(Number(init[3]))) return undefined;
  return withRendition({ kind: 'init', track: trackOf(init[2]!), period: Number(init[3]) }, init[1]);
}

function withRendition(name: DashMediaName, rendition: string | undefined): DashMediaName {
  return rendition === undefined ? name : { ...name, rendition };
}

function trackOf(prefix: string): DashTrackKind {
  return prefix === 'v' ? 'video' : 'audio';
}
