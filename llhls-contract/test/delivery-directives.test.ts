import t from 'tap';
import { directivesQuery, parseDeliveryDirectives } from '../src/delivery-directives.js';

t.test('reads _HLS_msn, _HLS_part and _HLS_skip', async (t) => {
  t.same(parseDeliveryDirectives(''), { kind: 'directives', directives: {} });
  t.same(parseDeliveryDirectives('?_HLS_msn=273&_HLS_part=2&_HLS_skip=YES'), {
    kind: 'directives',
    directives: { msn: 273, part: 2, skip: 'YES' },
  });
  t.same(parseDeliveryDirectives(new URLSearchParams({ _HLS_part: '0' })), { kind: 'directives', directives: { part: 0 } });
  t.same(parseDeliveryDirectives('_HLS_skip=v2'), { kind: 'directives', directives: { skip: 'v2' } });
  t.same(parseDeliveryDirectives('_HLS_msn=1714564800000'), { kind: 'directives', directives: { msn: 1714564800000 } });
});

t.test('a skip value other than YES or v2 (enumerated strings are case-sensitive) asks for the whole playlist', async (t) => {
  for (const skip of ['NO', 'yes', '', 'v3']) {
    t.same(parseDeliveryDirectives(`_HLS_skip=${skip}`), { kind: 'directives', directives: {} }, skip);
  }
});

t.test('other parameters, _HLS_ ones included, are left alone', async (t) => {
  t.same(parseDeliveryDirectives('token=abc&_HLS_push=1&_HLS_report=../b.m3u8'), { kind: 'directives', directives: {} });
});

t.test('a value that is not a decimal integer, or a directive given twice, is malformed', async (t) => {
  for (const query of [
    '_HLS_msn=-1',
    '_HLS_msn=1.5',
    '_HLS_msn=abc',
    '_HLS_msn=',
    '_HLS_msn=%205',
    '_HLS_msn=1e3',
    '_HLS_msn=0x10',
    '_HLS_msn=99999999999999999',
    '_HLS_msn=9007199254740992',
    '_HLS_msn=1&_HLS_part=+2',
    '_HLS_msn=1&_HLS_msn=1',
    '_HLS_msn=1&_HLS_part=1&_HLS_part=2',
    '_HLS_skip=YES&_HLS_skip=YES',
  ]) {
    t.match(parseDeliveryDirectives(query), { kind: 'malformed', reason: /_HLS_/ }, query);
  }
});

t.test('the canonical query: one order, empty without directives', async (t) => {
  const parsed = parseDeliveryDirectives('_HLS_skip=YES&foo=1&_HLS_part=2&_HLS_msn=5');
  t.equal(parsed.kind, 'directives');
  if (parsed.kind !== 'directives') return;
  t.equal(directivesQuery(parsed.directives), '_HLS_msn=5&_HLS_part=2&_HLS_skip=YES');
  t.equal(directivesQuery({}), '');
  t.equal(directivesQuery({ msn: 5 }), '_HLS_msn=5');
});
