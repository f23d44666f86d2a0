/**
 * The one part of a viewer's query string the edge passes on: the LL-HLS delivery directives of
 * an `ll.m3u8` request (RFC 8216bis 6.2.5), rewritten in canonical form. Everything else (the
 * playback token above all) stays at the edge. The canonical form is also the cache key's query,
 * so viewers asking for the same playlist part share one origin request however they spell it.
 */
import { directivesQuery, parseDeliveryDirectives } from '../../llhls-contract/src/delivery-directives.js';
import { isLowLatencyPlaylistName, parseLowLatencyMediaName } from '../../llhls-contract/src/llhls-names.js';
import { DeliveryDirectiveError } from './errors.js';

/**
 * The query to send to the origin for `file` (without `?`): the canonical directives of an
 * LL playlist request (`ll.m3u8`, or an ABR variant's `<variant>-ll.m3u8`), '' for any other file or without directives. Throws DeliveryDirectiveError
 * for malformed directives.
 */
export function originQueryOf(stream: string, file: string, rawUrl: string): string {
  if (!isLowLatencyPlaylistName(file)) return '';
  const start = rawUrl.indexOf('?');
  if (start === -1) return '';
  const parsed = parseDeliveryDirectives(rawUrl.slice(start + 1));
  if (parsed.kind === 'malformed') throw new DeliveryDirectiveError(stream, parsed.reason);
  return directivesQuery(parsed.directives);
}

/**
 * A part, segment or init section of the LL-HLS playlist. Its origin 404 is not remembered: a
 * part or segment asked for a little early exists a fraction of a second later.
 */
export function isLowLatencyMedia(file: string): boolean {
  return parseLowLatencyMediaName(file) !== undefined;
}

/** An LL playlist (`ll.m3u8`, a variant's `<variant>-ll.m3u8`) or one of the files it lists. */
export function isLowLatencyFile(file: string): boolean {
  return isLowLatencyPlaylistName(file) || isLowLatencyMedia(file);
}
