/**
 * `Range: bytes=…` on segments (RFC 9110 §14). One range is answered 206; a range that starts
 * past the end is 416; anything else (several ranges, another unit, bad syntax, `If-Range`) gets
 * the whole file with 200, which the RFC allows.
 */

export type RangeAnswer =
  | { kind: 'whole' }
  /** `start` to `end`, both inclusive. */
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const WHOLE: RangeAnswer = { kind: 'whole' };
const ONE_RANGE = /^bytes=\s*([0-9]*)\s*-\s*([0-9]*)\s*$/i;

export function rangeFor(header: string | undefined, ifRange: string | undefined, size: number): RangeAnswer {
  // Segments carry no validator, so an If-Range cannot be confirmed: the whole file is always right.
  if (header === undefined || ifRange !== undefined) return WHOLE;
  const match = ONE_RANGE.exec(header);
  if (!match) return WHOLE;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return WHOLE;
  if (first === '') {
    // `bytes=-N`: the last N bytes.
    const length = Number(last);
    if (length === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return WHOLE;
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}
