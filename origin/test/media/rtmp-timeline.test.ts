import t from 'tap';
import { RtmpTimeline } from '../../src/media/rtmp-timeline.js';

t.test('the 32-bit wrap continues the timeline', async (t) => {
  const timeline = new RtmpTimeline();
  t.equal(timeline.extend(2 ** 32 - 20), 2 ** 32 - 20, 'starts at the first timestamp');
  t.equal(timeline.extend(13), 2 ** 32 + 13);
  t.equal(timeline.extend(2 ** 32 - 5), 2 ** 32 - 5, 'a late tag from before the wrap');
  t.equal(timeline.extend(40), 2 ** 32 + 40);
});

t.test('small backward steps are jitter, resets and leaps are jumps', async (t) => {
  const timeline = new RtmpTimeline();
  t.equal(timeline.jumped('video', 1000), false, 'first frame');
  t.equal(timeline.jumped('audio', 990), false, 'audio slightly behind video');
  t.equal(timeline.jumped('video', 1033), false);
  t.equal(timeline.jumped('video', 600), false, 'back 433 ms: jitter');
  t.equal(timeline.jumped('video', 0), true, 'back 600 ms: reset');
  t.equal(timeline.jumped('audio', 5), false, 'the other track then follows without a second jump');
  t.equal(timeline.jumped('audio', 10_005), false, 'a 10 s pause');
  t.equal(timeline.jumped('audio', 20_006), true, 'more than 10 s forward');
});
