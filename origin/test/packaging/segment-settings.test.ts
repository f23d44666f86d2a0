import t from 'tap';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';

t.test('defaults: 2 s segments, cut without a keyframe at 10 times that or 64 MiB', async (t) => {
  t.same(readSegmentSettings({}), { targetDurationSeconds: 2, maxDurationSeconds: 20, maxSegmentBytes: 64 * 1024 * 1024 });
});

t.test('the maximum follows the target unless set', async (t) => {
  t.same(readSegmentSettings({ HLS_SEGMENT_SECONDS: '1' }), { targetDurationSeconds: 1, maxDurationSeconds: 10, maxSegmentBytes: 64 * 1024 * 1024 });
  t.match(readSegmentSettings({ HLS_SEGMENT_SECONDS: '4', HLS_MAX_SEGMENT_SECONDS: '6', HLS_MAX_SEGMENT_BYTES: '2097152' }), {
    maxDurationSeconds: 6,
    maxSegmentBytes: 2 * 1024 * 1024,
  });
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => readSegmentSettings({ HLS_SEGMENT_SECONDS: '0.1' }), /HLS_SEGMENT_SECONDS="0.1"/);
  t.throws(() => readSegmentSettings({ HLS_SEGMENT_SECONDS: '4', HLS_MAX_SEGMENT_SECONDS: '3' }), /HLS_MAX_SEGMENT_SECONDS="3" is invalid: expected a number >= 4/);
  t.throws(() => readSegmentSettings({ HLS_MAX_SEGMENT_BYTES: '1000' }), /HLS_MAX_SEGMENT_BYTES="1000"/);
});
