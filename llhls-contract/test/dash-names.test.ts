import t from 'tap';
import { classifyPath } from '../../edge/src/stream-path.js';
import { DASH_FILE_NAME_PATTERN, DASH_MANIFEST_FILE_NAME, dashInitFileName, dashMediaTemplate, dashSegmentFileName, parseDashMediaName } from '../src/dash-names.js';

t.test('names hold the Period (its first media sequence number) and the segment within it, and read back', async (t) => {
  const period = 1714564800000;
  t.equal(dashSegmentFileName('video', period, period + 3), 'v-1714564800000-3.m4s');
  t.equal(dashSegmentFileName('audio', period, period), 'a-1714564800000-0.m4s');
  t.equal(dashInitFileName('video', period), 'v-init-1714564800000.mp4');
  t.equal(dashMediaTemplate('audio', period).replace('$Number$', '3'), dashSegmentFileName('audio', period, period + 3), 'the template fills in to the name');
  t.same(parseDashMediaName('v-1714564800000-3.m4s'), { kind: 'segment', track: 'video', period, mediaSequenceNumber: period + 3 });
  t.same(parseDashMediaName('a-init-1714564800000.mp4'), { kind: 'init', track: 'audio', period });
});

t.test("an ABR rendition's DASH files: the source's names prefixed with its own, read back with it", async (t) => {
  const period = 1714564800000;
  t.equal(dashSegmentFileName('video', period, period + 3, '360p'), '360p-v-1714564800000-3.m4s');
  t.equal(dashInitFileName('video', period, '360p'), '360p-v-init-1714564800000.mp4');
  t.equal(dashMediaTemplate('video', period, '360p').replace('$Number$', '3'), dashSegmentFileName('video', period, period + 3, '360p'));
  t.same(parseDashMediaName('360p-v-1714564800000-3.m4s'), { kind: 'segment', track: 'video', period, mediaSequenceNumber: period + 3, rendition: '360p' });
  t.same(parseDashMediaName('1080p-v-init-1714564800000.mp4'), { kind: 'init', track: 'video', period, rendition: '1080p' });
  for (const name of ['source-v-1-0.m4s', '0360p-v-1-0.m4s', 'p-v-1-0.m4s', '360p-v-init-1.m4s']) t.equal(parseDashMediaName(name), undefined, name);
  t.ok(new RegExp(DASH_FILE_NAME_PATTERN).test('360p-v-1-0.m4s'), 'the origin pattern takes it');
});

t.test('other names are not DASH media; every DASH name passes the edge and the origin schema pattern', async (t) => {
  for (const name of ['index.mpd', 'v-007-1.m4s', 'v-1-01.m4s', 'v-init-1.m4s', 'x-1-1.m4s', 'v-1.m4s', '1.m4s', 'init-1.mp4', `v-${'9'.repeat(20)}-1.m4s`]) {
    t.equal(parseDashMediaName(name), undefined, name);
  }
  const pattern = new RegExp(DASH_FILE_NAME_PATTERN);
  for (const name of [DASH_MANIFEST_FILE_NAME, 'v-1-0.m4s', 'a-init-12.mp4']) {
    t.ok(pattern.test(name), `${name}: origin pattern`);
    t.equal(classifyPath(`/s/${name}`).kind, 'media', `${name}: edge`);
  }
  t.notOk(pattern.test('v-1-0.m4s.tmp'));
});
