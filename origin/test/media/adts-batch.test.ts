import t from 'tap';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { AdtsBatch } from '../../src/media/adts-batch.js';

// AAC-LC 48 kHz stereo: frames of 21.33 ms
const CONFIG = parseAacConfig(new Uint8Array([0x11, 0x90]));
const RAW = new Uint8Array([1, 2, 3]);

t.test('frames gather behind ADTS headers until the run is long enough', async (t) => {
  const batch = new AdtsBatch(100);
  t.ok(batch.isEmpty);
  const times = [0, 21, 43, 64, 85];
  for (const ms of times) {
    t.notOk(batch.needsFlushBefore(RAW, CONFIG, ms), `${ms} ms joins the run`);
    batch.add(RAW, CONFIG, ms);
  }
  t.ok(batch.needsFlushBefore(RAW, CONFIG, 107), '107 ms is 100 ms after the first');
  t.equal(batch.ptsMs, 0);
  const run = batch.take();
  t.equal(run.length, 5 * (7 + 3));
  for (let i = 0; i < 5; i++) {
    t.same([run[i * 10], run[i * 10 + 1], ...run.subarray(i * 10 + 7, i * 10 + 10)], [0xff, 0xf1, 1, 2, 3]);
  }
  t.ok(batch.isEmpty);
});

t.test('a frame away from its implied time starts a new run', async (t) => {
  const batch = new AdtsBatch(100);
  batch.add(RAW, CONFIG, 1000);
  t.notOk(batch.needsFlushBefore(RAW, CONFIG, 1021), 'jitter within half a frame');
  t.ok(batch.needsFlushBefore(RAW, CONFIG, 1043), 'a dropped frame');
  t.ok(batch.needsFlushBefore(RAW, CONFIG, 1005), 'too early');
});

t.test('runs stay well below the PES size limit', async (t) => {
  const batch = new AdtsBatch(10_000);
  const big = new Uint8Array(6000);
  for (let i = 0; i < 5; i++) batch.add(big, CONFIG, i * 21.333);
  t.ok(batch.needsFlushBefore(big, CONFIG, 5 * 21.333));
  t.throws(() => batch.add(new Uint8Array(9000), CONFIG, 0), { message: /too big for ADTS/ });
});

t.test('a zero duration sends every frame alone', async (t) => {
  const batch = new AdtsBatch(0);
  batch.add(RAW, CONFIG, 0);
  t.ok(batch.needsFlushBefore(RAW, CONFIG, 21));
});
