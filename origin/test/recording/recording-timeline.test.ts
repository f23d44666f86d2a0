import t from 'tap';
import type { RecordingPlaylist } from '../../src/recording/recording-playlist.js';
import { segmentAtTime } from '../../src/recording/recording-timeline.js';

/** Two sessions: 0.ts-1.ts, then (after a discontinuity) 2.ts-3.ts, whose files' timestamps restart. */
const TWO_SESSIONS: RecordingPlaylist = {
  targetDurationSeconds: 2,
  segments: [
    { uri: '0.ts', durationSeconds: 2.002, discontinuity: false },
    { uri: '1.ts', durationSeconds: 1.5, discontinuity: false },
    { uri: '2.ts', durationSeconds: 2, discontinuity: true },
    { uri: '3.ts', durationSeconds: 2, discontinuity: false },
  ],
  ended: true,
};

const at = (timeTenths: number) => {
  const moment = segmentAtTime(TWO_SESSIONS, timeTenths);
  return moment && { uri: moment.segment.uri, offsetTenths: moment.offsetTenths };
};

t.test('a time inside the first segment: its offset from the start', async (t) => {
  t.same(at(0), { uri: '0.ts', offsetTenths: 0 });
  t.same(at(12), { uri: '0.ts', offsetTenths: 12 });
});

t.test('segment boundaries: the segment that starts there holds the time', async (t) => {
  t.same(at(20), { uri: '0.ts', offsetTenths: 19 }, '2.0 s is still inside 0.ts (2.002 s long), kept one tenth from its end');
  t.same(at(21), { uri: '1.ts', offsetTenths: 1 }, '2.1 s is 0.098 s into 1.ts, rounded to a tenth');
  t.same(at(35), { uri: '1.ts', offsetTenths: 14 }, 'near the end of 1.ts (3.502): one tenth before its end at most');
});

t.test('after a discontinuity the playlist timeline goes on: the offset counts from the segment file', async (t) => {
  t.same(at(36), { uri: '2.ts', offsetTenths: 1 }, '3.6 s is 0.098 s into 2.ts');
  t.same(at(56), { uri: '3.ts', offsetTenths: 1 }, '5.6 s: 3.ts starts at 5.502');
  t.same(at(70), { uri: '3.ts', offsetTenths: 15 });
  t.same(at(75), { uri: '3.ts', offsetTenths: 19 }, '7.5 s is still before the end (7.502): one tenth before the end at most');
});

t.test('at or past the end: the last segment\'s first frame', async (t) => {
  t.same(at(76), { uri: '3.ts', offsetTenths: 0 }, 'just past the end');
  t.same(at(10 * 86_400), { uri: '3.ts', offsetTenths: 0 }, 'a day past the end');
});

t.test('a recording without segments has no moment', async (t) => {
  t.equal(segmentAtTime({ targetDurationSeconds: 2, segments: [], ended: false }, 0), undefined);
});

t.test('a segment shorter than the margin: its start', async (t) => {
  const short: RecordingPlaylist = { targetDurationSeconds: 2, segments: [{ uri: '0.ts', durationSeconds: 0.08, discontinuity: false }], ended: true };
  t.same(segmentAtTime(short, 0)?.offsetTenths, 0);
});
