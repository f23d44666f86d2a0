import t from 'tap';
import { writeFragment } from '../../src/cmaf/fragment-writer.js';
import { NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS, type CmafSample, type TrackRun } from '../../src/cmaf/track-run.js';
import { fields, find, findAll, outline, readBoxes, readTfdt, readTfhd, readTrun } from './fixtures/box-reader.js';

/** A run whose sample `i` is `sizes[i]` bytes of the value `fill + i`. */
function run(trackId: number, baseDecodeTime: number, samples: Omit<CmafSample, 'decodeTime'>[], fill: number): TrackRun {
  const data = new Uint8Array(samples.reduce((sum, s) => sum + s.size, 0));
  let offset = 0;
  samples.forEach((sample, i) => {
    data.fill(fill + i, offset, offset + sample.size);
    offset += sample.size;
  });
  let time = baseDecodeTime;
  const timed = samples.map((sample) => {
    const decodeTime = time;
    time += sample.duration;
    return { ...sample, decodeTime };
  });
  return { trackId, baseDecodeTime, samples: timed, data };
}

const video = run(
  1,
  2 ** 33 + 3000,
  [
    { duration: 3000, size: 50, flags: SYNC_SAMPLE_FLAGS, compositionOffset: 6000 },
    { duration: 3000, size: 20, flags: NON_SYNC_SAMPLE_FLAGS, compositionOffset: -3000 },
    { duration: 3000, size: 30, flags: NON_SYNC_SAMPLE_FLAGS, compositionOffset: 0 },
  ],
  0x10,
);
const audio = run(
  2,
  48000,
  [
    { duration: 1024, size: 7, flags: SYNC_SAMPLE_FLAGS, compositionOffset: 0 },
    { duration: 1024, size: 9, flags: SYNC_SAMPLE_FLAGS, compositionOffset: 0 },
  ],
  0x20,
);

t.test('moof (mfhd, a traf per track) then mdat with the samples back to back', async (t) => {
  const data = writeFragment(7, [video, audio]);
  const boxes = readBoxes(data);
  t.equal(outline(boxes), 'moof[mfhd traf[tfhd tfdt trun] traf[tfhd tfdt trun]] mdat');
  t.same(fields(find(boxes, 'moof', 'mfhd')).bytes(8), Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 7]), 'mfhd: sequence number 7');
  const mdat = find(boxes, 'mdat');
  t.equal(mdat.start + mdat.size, data.length, 'mdat ends the fragment');
  t.same(mdat.body, Uint8Array.from([...video.data, ...audio.data]));
});

t.test('video traf: default-base-is-moof, 64-bit tfdt, trun v1 with per-sample flags and signed offsets', async (t) => {
  const data = writeFragment(1, [video, audio]);
  const [traf] = findAll(find(readBoxes(data), 'moof').children, 'traf');
  t.same(readTfhd(find(traf!.children, 'tfhd')), { flags: 0x020000, trackId: 1 }, 'no shared sample flags');
  t.same(readTfdt(find(traf!.children, 'tfdt')), { version: 1, baseMediaDecodeTime: 2 ** 33 + 3000 });
  const trun = readTrun(find(traf!.children, 'trun'));
  t.equal(trun.version, 1, 'signed composition offsets');
  t.equal(trun.flags, 0x000f01, 'data offset, duration, size, flags, composition offset');
  t.same(trun.samples, [
    { duration: 3000, size: 50, flags: 0x02000000, compositionOffset: 6000 },
    { duration: 3000, size: 20, flags: 0x01010000, compositionOffset: -3000 },
    { duration: 3000, size: 30, flags: 0x01010000, compositionOffset: 0 },
  ]);
  t.same(data.subarray(trun.dataOffset!, trun.dataOffset! + 100), video.data, 'the data offset, from the moof start, finds the samples');
});

t.test('audio traf: one shared sample flags value in tfhd, trun v0 without offsets', async (t) => {
  const data = writeFragment(1, [video, audio]);
  const [, traf] = findAll(find(readBoxes(data), 'moof').children, 'traf');
  t.same(readTfhd(find(traf!.children, 'tfhd')), { flags: 0x020020, trackId: 2, defaultSampleFlags: 0x02000000 });
  t.same(readTfdt(find(traf!.children, 'tfdt')), { version: 1, baseMediaDecodeTime: 48000 });
  const trun = readTrun(find(traf!.children, 'trun'));
  t.same({ version: trun.version, flags: trun.flags }, { version: 0, flags: 0x000301 });
  t.same(trun.samples, [
    { duration: 1024, size: 7 },
    { duration: 1024, size: 9 },
  ]);
  t.same(data.subarray(trun.dataOffset!, trun.dataOffset! + 16), audio.data, 'audio data follows the video data');
});

t.test('one track: data offset = moof size + mdat header', async (t) => {
  const data = writeFragment(2, [audio]);
  const boxes = readBoxes(data);
  t.equal(outline(boxes), 'moof[mfhd traf[tfhd tfdt trun]] mdat');
  const trun = readTrun(find(boxes, 'moof', 'traf', 'trun'));
  t.equal(trun.dataOffset, find(boxes, 'moof').size + 8);
});
