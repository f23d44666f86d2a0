import t from 'tap';
import { SegmentDelayStats } from '../../src/packaging/segment-delay-stats.js';

t.test('median and max over the recent window only', async (t) => {
  const clock = { now: 0 };
  const stats = new SegmentDelayStats(10_000, () => clock.now);
  t.same(stats.summary(), { segments: 0, windowSeconds: 10, medianMs: null, maxMs: null });
  stats.record(500);
  clock.now = 20_000;
  stats.record(2);
  stats.record(4);
  stats.record(3);
  t.same(stats.summary(), { segments: 4, windowSeconds: 10, medianMs: 3, maxMs: 4 }, 'the old 500 ms sample left the window');
});
