import t from 'tap';
import type { MediaFrame } from '../../src/media/flv-tag.js';
import { TrackProbe } from '../../src/media/track-probe.js';

const audioFrame = (dtsMs: number, data = new Uint8Array([1])): MediaFrame => ({ kind: 'aac-frame', dtsMs, data });
const MAX_BYTES = 1024 * 1024;

t.test('both sequence headers decide at once', async (t) => {
  t.same(new TrackProbe(1000, MAX_BYTES).decide(true, true, false), { video: true, audio: true });
});

t.test('one header waits for the window, then decides alone', async (t) => {
  const probe = new TrackProbe(1000, MAX_BYTES);
  t.equal(probe.decide(false, false, true), undefined, 'no header at all: nothing to mux');
  probe.hold(audioFrame(0));
  t.equal(probe.decide(false, true, false), undefined);
  probe.hold(audioFrame(999));
  t.equal(probe.decide(false, true, false), undefined);
  probe.hold(audioFrame(1000));
  t.same(probe.decide(false, true, false), { video: false, audio: true });
  t.same(probe.drain().map((f) => f.dtsMs), [0, 999, 1000]);
  t.same(probe.drain(), [], 'drained');
});

t.test('force decides early, e.g. for a stream shorter than the window', async (t) => {
  const probe = new TrackProbe(1000, MAX_BYTES);
  probe.hold(audioFrame(0));
  t.same(probe.decide(true, false, true), { video: true, audio: false });
});

t.test('held frames are copies', async (t) => {
  const probe = new TrackProbe(1000, MAX_BYTES);
  const data = new Uint8Array([7]);
  probe.hold(audioFrame(0, data));
  data[0] = 9;
  t.equal(probe.drain()[0]!.data[0], 7);
});

t.test('timestamps that do not advance cannot make it hold more than its byte bound', async (t) => {
  const probe = new TrackProbe(1000, 10_000);
  probe.hold(audioFrame(0, new Uint8Array(9_000)));
  t.equal(probe.decide(false, true, false), undefined, '9000 bytes held, no time passed');
  probe.hold(audioFrame(0, new Uint8Array(1_000)));
  t.same(probe.decide(false, true, false), { video: false, audio: true }, 'the bound decides');
  t.equal(probe.drain().length, 2);
});

t.test('a frame counts as at least one TS packet, so tiny frames are bounded too', async (t) => {
  const probe = new TrackProbe(1000, 188 * 10);
  for (let i = 0; i < 9; i++) probe.hold(audioFrame(0));
  t.equal(probe.decide(false, true, false), undefined);
  probe.hold(audioFrame(0));
  t.same(probe.decide(false, true, false), { video: false, audio: true });
});
