import t from 'tap';
import { parseThumbnailQuery, thumbnailQueryString } from '../src/thumbnail-query.js';
import { MAX_VIDEO_DURATION_S } from '../src/video-contract.js';

const ok = (query: string) => {
  const parsed = parseThumbnailQuery(query);
  if (parsed.kind !== 'ok') throw new Error(`expected ${query} to parse: ${parsed.reason}`);
  return parsed.query;
};
const reason = (query: string) => {
  const parsed = parseThumbnailQuery(query);
  if (parsed.kind !== 'malformed') throw new Error(`expected ${query} to be refused`);
  return parsed.reason;
};

t.test('defaults: time 0, the video height', async (t) => {
  t.same(ok(''), { timeTenths: 0, height: undefined });
  t.same(ok('token=abc.def&cachebuster=1'), { timeTenths: 0, height: undefined }, 'other parameters are not the thumbnail\'s');
});

t.test('time: seconds with or without s, hours/minutes/seconds in order, tenths', async (t) => {
  t.equal(ok('time=5s').timeTenths, 50);
  t.equal(ok('time=5').timeTenths, 50);
  t.equal(ok('time=0').timeTenths, 0);
  t.equal(ok('time=90.5s').timeTenths, 905);
  t.equal(ok('time=1m30s').timeTenths, 900);
  t.equal(ok('time=1m').timeTenths, 600);
  t.equal(ok('time=2h').timeTenths, 72_000);
  t.equal(ok('time=1h2m3.5s').timeTenths, 37_235);
  t.equal(ok('time=1m30').timeTenths, 900, 'the seconds\' unit may be left out after minutes too');
  t.equal(ok('time=0.04s').timeTenths, 0, 'rounded to the nearest tenth');
  t.equal(ok('time=0.05s').timeTenths, 1, 'half a tenth rounds up (counted in whole milliseconds, no float error)');
  t.equal(ok('time=2.149').timeTenths, 21);
  t.equal(ok(`time=${MAX_VIDEO_DURATION_S}s`).timeTenths, MAX_VIDEO_DURATION_S * 10, 'the longest video');
});

t.test('time: malformed values are refused with the value named', async (t) => {
  for (const bad of ['', 's', 'abc', '-5', '5ms', '1.5m', '30s1m', '1h1h', '5.1234', '1e3', ' 5', '5 ', 'Infinity', '0x10', '1:30']) {
    t.match(reason(`time=${encodeURIComponent(bad)}`), `time ${JSON.stringify(bad)} is not a time`, bad);
  }
  t.match(reason(`time=${MAX_VIDEO_DURATION_S + 1}`), /longer than any video/);
  t.match(reason('time=5&time=6'), 'time is given more than once');
});

t.test('height: 32 to 1080, made even; anything else refused', async (t) => {
  t.equal(ok('height=270').height, 270);
  t.equal(ok('height=271').height, 270, 'odd rounds down to even');
  t.equal(ok('height=32').height, 32);
  t.equal(ok('height=33').height, 32);
  t.equal(ok('height=1080').height, 1080);
  for (const bad of ['', '31', '1081', '0', '-270', '270.5', '270px', 'abc', '99999999']) {
    t.match(reason(`height=${encodeURIComponent(bad)}`), `height ${JSON.stringify(bad)} must be a whole number of pixels from 32 to 1080`, bad);
  }
  t.match(reason('height=100&height=200'), 'height is given more than once');
});

t.test('a huge value is cut short in the reason', async (t) => {
  t.ok(reason(`time=${'9'.repeat(5000)}`).length < 300);
});

t.test('canonical form: parsed back to the same query, one spelling per query', async (t) => {
  for (const query of ['', 'time=90', 'time=1m30s&height=271', 'height=100', 'time=0.05']) {
    const parsed = ok(query);
    const canonical = thumbnailQueryString(parsed);
    t.same(ok(canonical), parsed, `${query} -> ${canonical}`);
  }
  t.equal(thumbnailQueryString(ok('height=271&time=1m30s&token=x')), 'time=90s&height=270');
  t.equal(thumbnailQueryString(ok('time=1.5')), 'time=1.5s');
  t.equal(thumbnailQueryString(ok('')), 'time=0s');
});
