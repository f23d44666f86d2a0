/**
 * The Delivery Directives of a playlist request (RFC 8216bis 6.2.5): `_HLS_msn`, `_HLS_part` and
 * `_HLS_skip` in the query. Parsing only; what they ask for is decided in blocking-reload.ts and
 * playlist-text.ts.
 */

export interface DeliveryDirectives {
  /** `_HLS_msn`: answer once the playlist holds this media sequence number (blocking reload). */
  msn?: number;
  /** `_HLS_part`: ... and this part of it. Only meaningful with `msn`. */
  part?: number;
  /** `_HLS_skip=YES` or `v2`: a Playlist Delta Update. Any other value asks for the whole playlist. */
  skip?: 'YES' | 'v2';
}

export type DirectivesParse =
  | { kind: 'directives'; directives: DeliveryDirectives }
  /** A directive given twice, or a number that is not a decimal-integer: answer 400. */
  | { kind: 'malformed'; reason: string };

/** decimal-integer (RFC 8216bis 4.2), within what a JavaScript number holds exactly. */
const DECIMAL_INTEGER = /^[0-9]{1,16}$/;

/**
 * Reads the directives from a query string (with or without its `?`) or parsed parameters. Other
 * parameters, `_HLS_` ones included, are left alone: the spec reserves the prefix, it does not
 * forbid unknown names.
 */
export function parseDeliveryDirectives(query: string | URLSearchParams): DirectivesParse {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const directives: DeliveryDirectives = {};
  for (const name of ['_HLS_msn', '_HLS_part'] as const) {
    const values = params.getAll(name);
    if (values.length === 0) continue;
    const [value = ''] = values;
    if (values.length > 1) return malformed(`${name} is given ${values.length} times`);
    const number = Number(value);
    if (!DECIMAL_INTEGER.test(value) || !Number.isSafeInteger(number)) {
      return malformed(`${name}=${JSON.stringify(value)} is not a decimal integer`);
    }
    if (name === '_HLS_msn') directives.msn = number;
    else directives.part = number;
  }
  const skips = params.getAll('_HLS_skip');
  if (skips.length > 1) return malformed(`_HLS_skip is given ${skips.length} times`);
  const [skip] = skips;
  if (skip === 'YES' || skip === 'v2') directives.skip = skip;
  return { kind: 'directives', directives };
}

/**
 * The directives as a query string in one fixed order, empty without any: a cache key under which
 * the edge can coalesce requests for the same playlist however their query was spelled.
 */
export function directivesQuery(directives: DeliveryDirectives): string {
  const params = new URLSearchParams();
  if (directives.msn !== undefined) params.set('_HLS_msn', String(directives.msn));
  if (directives.part !== undefined) params.set('_HLS_part', String(directives.part));
  if (directives.skip !== undefined) params.set('_HLS_skip', directives.skip);
  return params.toString();
}

function malformed(reason: string): DirectivesParse {
  return { kind: 'malformed', reason };
}
