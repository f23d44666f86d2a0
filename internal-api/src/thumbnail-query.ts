/**
 * The query of a thumbnail (`/videos/<uid>/thumbnails/thumbnail.jpg?time=5s&height=270`, and a
 * live input's `/<stream>/thumbnails/thumbnail.jpg?height=270`), read the same way by the edge,
 * which passes on only the canonical form, and by the origin, which makes the picture. Pure: text
 * in, data or a reason out.
 *
 * - `time`: where in the video, default 0. Seconds (`90`, `90.5`, `90s`) or hours, minutes and
 *   seconds in that order, each optional (`1h`, `1m30s`, `1h2m3.5s`). Rounded to the nearest tenth
 *   of a second: a thumbnail needs no finer seek, and fewer distinct times mean fewer pictures made.
 * - `height`: pixels, 32 to 1080, rounded down to an even number (4:2:0 JPEGs need even sizes);
 *   the width follows the video's aspect ratio. Default: the video's own height.
 *
 * Other parameters (the playback `token`, a cache buster) are not the thumbnail's and are ignored.
 */
import { quote } from '../../service-kit/src/live-error.js';
import { MAX_VIDEO_DURATION_S } from './video-contract.js';

export const THUMBNAIL_MIN_HEIGHT = 32;
export const THUMBNAIL_MAX_HEIGHT = 1080;

export interface ThumbnailQuery {
  /** Tenths of a second from the start. */
  timeTenths: number;
  /** Even pixels; undefined: the video's own height. */
  height: number | undefined;
}

export type ThumbnailQueryParse = { kind: 'ok'; query: ThumbnailQuery } | { kind: 'malformed'; reason: string };

/** `1h2m3.5s`, `90s`, `90`: at least one part, the seconds up to three decimals. */
const TIME = /^(?:([0-9]{1,4})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,8}(?:\.[0-9]{1,3})?)s?)?$/;
const HEIGHT = /^[0-9]{1,5}$/;

/** Reads the query string (without `?`). */
export function parseThumbnailQuery(queryString: string): ThumbnailQueryParse {
  const params = new URLSearchParams(queryString);
  for (const name of ['time', 'height']) {
    if (params.getAll(name).length > 1) return malformed(`${name} is given more than once`);
  }
  const time = params.get('time');
  const height = params.get('height');
  let timeTenths = 0;
  if (time !== null) {
    const tenths = parseTimeTenths(time);
    if (tenths === undefined) return malformed(`time ${quote(time)} is not a time: use seconds (90, 90.5s) or hours, minutes and seconds (1m30s)`);
    if (tenths > MAX_VIDEO_DURATION_S * 10) return malformed(`time ${quote(time)} is longer than any video (${MAX_VIDEO_DURATION_S} s)`);
    timeTenths = tenths;
  }
  let evenHeight: number | undefined;
  if (height !== null) {
    const pixels = HEIGHT.test(height) ? Number(height) : NaN;
    if (!(pixels >= THUMBNAIL_MIN_HEIGHT && pixels <= THUMBNAIL_MAX_HEIGHT)) {
      return malformed(`height ${quote(height)} must be a whole number of pixels from ${THUMBNAIL_MIN_HEIGHT} to ${THUMBNAIL_MAX_HEIGHT}`);
    }
    evenHeight = pixels - (pixels % 2);
  }
  return { kind: 'ok', query: { timeTenths, height: evenHeight } };
}

/** The canonical query string (without `?`): what the edge sends the origin and keys its cache by. */
export function thumbnailQueryString(query: ThumbnailQuery): string {
  const time = `time=${query.timeTenths / 10}s`;
  return query.height === undefined ? time : `${time}&height=${query.height}`;
}

function parseTimeTenths(text: string): number | undefined {
  const match = text === '' ? null : TIME.exec(text);
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  // Whole milliseconds first, so that decimal seconds round exactly (0.05 s is half a tenth).
  const milliseconds = (Number(hours) * 3600 + Number(minutes) * 60) * 1000 + Math.round(Number(seconds) * 1000);
  return Math.round(milliseconds / 100);
}

function malformed(reason: string): ThumbnailQueryParse {
  return { kind: 'malformed', reason };
}
