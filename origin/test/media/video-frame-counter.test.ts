import t from 'tap';
import { FlvFrameStage } from '../../src/media/frame-stage.js';
import { framesPerSecond, VideoFrameCounter } from '../../src/media/video-frame-counter.js';
import { avStream, videoTag } from './fixtures/flv-tags.js';

/** A counter fed by the real front stage, as the packager feeds it. */
function counted() {
  const stage = new FlvFrameStage({ trackProbeMs: 1000, maxProbeBytes: 1 << 20 });
  const counter = new VideoFrameCounter();
  return { counter, push: (tag: Parameters<FlvFrameStage['push']>[0]) => counter.take(stage.push(tag)) };
}

t.test('counts the gaps between video frames in media time; audio does not count', async (t) => {
  const { counter, push } = counted();
  const start = counter.count;
  t.same(start, { intervals: 0, spanMs: 0 });
  // 2 s of 30 fps video (timestamps 0, 33, 67, 100 …) with 48 kHz audio between.
  for (const tag of avStream(2)) push(tag);
  t.same(counter.count, { intervals: 59, spanMs: 1967 });
  t.equal(framesPerSecond(start, counter.count), 29.99, '59 gaps over 1967 ms: millisecond timestamps round');
});

t.test('a timestamp jump starts a new run: the gap across it is neither a frame nor time', async (t) => {
  const { counter, push } = counted();
  for (const tag of avStream(1)) push(tag);
  const before = counter.count;
  // The publisher's encoder restarts its clock an hour later, at 25 fps.
  for (let i = 0; i < 26; i++) push(videoTag(3_600_000 + i * 40, i === 0));
  t.same(counter.count, { intervals: before.intervals + 25, spanMs: before.spanMs + 1000 });
  t.equal(framesPerSecond(before, counter.count), 25);
});

t.test('framesPerSecond answers null when two readings cannot tell', async (t) => {
  const reading = { intervals: 30, spanMs: 1000 };
  t.equal(framesPerSecond(undefined, reading), null, 'no earlier reading');
  t.equal(framesPerSecond(reading, reading), null, 'no frames between them');
  t.equal(framesPerSecond(reading, { intervals: 40, spanMs: 1000 }), null, 'frames without media time');
  t.equal(framesPerSecond(reading, { intervals: 2030, spanMs: 1001 }), null, 'more than any real source');
  t.equal(framesPerSecond(reading, { intervals: 60, spanMs: 2001 }), 29.97);
});
