import t from 'tap';
import { contentRange, rangeFor } from '../src/http-range.js';

t.test('one range is partial', async (t) => {
  t.same(rangeFor('bytes=0-9', undefined, 100), { kind: 'partial', start: 0, end: 9 });
  t.same(rangeFor('bytes=90-', undefined, 100), { kind: 'partial', start: 90, end: 99 });
  t.same(rangeFor('bytes=90-1000', undefined, 100), { kind: 'partial', start: 90, end: 99 }, 'the end is capped');
  t.same(rangeFor('bytes=-10', undefined, 100), { kind: 'partial', start: 90, end: 99 }, 'the last 10 bytes');
  t.same(rangeFor('bytes=-1000', undefined, 100), { kind: 'partial', start: 0, end: 99 });
  t.same(rangeFor('Bytes=5-6', undefined, 100), { kind: 'partial', start: 5, end: 6 }, 'the unit is case-insensitive');
});

t.test('a range past the end is unsatisfiable', async (t) => {
  t.same(rangeFor('bytes=100-', undefined, 100), { kind: 'unsatisfiable' });
  t.same(rangeFor('bytes=200-300', undefined, 100), { kind: 'unsatisfiable' });
  t.same(rangeFor('bytes=-0', undefined, 100), { kind: 'unsatisfiable' });
  t.same(rangeFor('bytes=0-', undefined, 0), { kind: 'unsatisfiable' });
});

t.test('anything else gets the whole file', async (t) => {
  for (const header of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=5-2', 'bytes=-', 'bytes=a-b', '']) {
    t.same(rangeFor(header, undefined, 100), { kind: 'whole' }, String(header));
  }
  t.same(rangeFor('bytes=0-9', '"etag"', 100), { kind: 'whole' }, 'If-Range cannot be confirmed on a segment');
});

t.test('Content-Range', async (t) => {
  t.equal(contentRange(0, 9, 100), 'bytes 0-9/100');
});
