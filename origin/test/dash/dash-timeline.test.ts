import t from 'tap';
import { cmafTracksOf } from '../../src/cmaf/cmaf-track.js';
import { DashTimeline, type DashSegment } from '../../src/dash/dash-timeline.js';
import { audioConfigFrom, videoConfigFrom } from '../../src/media/stream-config.js';
import { AVC_RECORD_320X240 } from '../media/fixtures/flv-tags.js';
import { hex } from '../media/fixtures/ts-reader.js';

const tracks = cmafTracksOf({ video: videoConfigFrom(hex(AVC_RECORD_320X240)), audio: audioConfigFrom(hex('1190')) });
const START_MS = Date.parse('2026-11-30T18:00:00.000Z');

/** Segment `number` of 2 s (60 frames, 94 AAC frames), starting `index` segments after `firstSeconds`. */
function segment(number: number, index: number, { firstSeconds = 0, audio = true } = {}): DashSegment {
  const seconds = firstSeconds + 2 * index;
  return {
    number,
    programDateTime: new Date(START_MS + seconds * 1000),
    tracks: [
      { trackId: 1, baseDecodeTime: seconds * 90000, duration: 180000, sampleCount: 60, byteLength: 250_000 },
      ...(audio ? [{ trackId: 2, baseDecodeTime: Math.round(seconds * 48000), duration: 96256, sampleCount: 94, byteLength: 24_064 }] : []),
    ],
  };
}

const settings = { segmentTargetSeconds: 2, windowSeconds: 24 };

t.test('nothing before the first segment; then one Period from the first segment, AST at its wall clock', async (t) => {
  const timeline = new DashTimeline(settings);
  t.equal(timeline.manifest(new Date(START_MS)), undefined);
  timeline.addSegment(segment(1000, 0), tracks);
  timeline.addSegment(segment(1001, 1));
  const mpd = timeline.manifest(new Date(START_MS + 4000))!;
  t.same(mpd.availabilityStartTime.getTime(), START_MS);
  t.match(mpd, { minimumUpdatePeriodSeconds: 2, timeShiftBufferDepthSeconds: 24, suggestedPresentationDelaySeconds: 6, minBufferTimeSeconds: 2 });
  t.equal(mpd.periods.length, 1);
  const [video, audio] = mpd.periods[0]!.adaptationSets;
  t.match(video, { timescale: 90000, startNumber: 0, presentationTimeOffset: 0, initialization: 'v-init-1000.mp4', media: 'v-1000-$Number$.m4s', bandwidth: 1_000_000 });
  t.match(video!.track, { kind: 'video', frameRate: 30, width: 320, height: 240 });
  t.same(video!.segments, [{ start: 0, duration: 180000 }, { start: 180000, duration: 180000 }]);
  t.match(audio, { timescale: 48000, startNumber: 0, media: 'a-1000-$Number$.m4s', bandwidth: 96_000 });
});

t.test('a new init starts a Period at its wall clock; segments leave with the window; an ended stream stops updates', async (t) => {
  const timeline = new DashTimeline(settings);
  timeline.addSegment(segment(1000, 0), tracks);
  timeline.addSegment(segment(1001, 1));
  // The publisher came back 10 s later; its decode times went on from 4 s.
  const resumed = { ...segment(1002, 0, { firstSeconds: 4 }), programDateTime: new Date(START_MS + 14_000) };
  timeline.addSegment(resumed, tracks);
  let mpd = timeline.manifest(new Date(START_MS + 16_000))!;
  t.same(mpd.periods.map((p) => [p.id, p.startSeconds]), [['1000', 0], ['1002', 14]]);
  t.match(mpd.periods[1]!.adaptationSets[0], { startNumber: 0, presentationTimeOffset: 4 * 90000, initialization: 'v-init-1002.mp4', media: 'v-1002-$Number$.m4s' });

  timeline.remove([1000]);
  mpd = timeline.manifest(new Date(START_MS + 16_000))!;
  t.match(mpd.periods[0]!.adaptationSets[0], { startNumber: 1, segments: [{ start: 180000 }] }, '$Number$ of the first listed segment');
  timeline.remove([1001]);
  t.same(timeline.manifest(new Date(START_MS + 16_000))!.periods.map((p) => p.id), ['1002'], 'a Period without segments goes');

  timeline.end();
  mpd = timeline.manifest(new Date(START_MS + 16_000))!;
  t.equal(mpd.minimumUpdatePeriodSeconds, undefined);
  t.equal(mpd.mediaPresentationDurationSeconds, 16, 'the Period start plus its media');
  timeline.resume();
  t.equal(timeline.manifest(new Date(START_MS + 16_000))!.minimumUpdatePeriodSeconds, 2);
});

t.test('a segment without audio: the audio timeline restarts after it ($Number$ cannot skip one)', async (t) => {
  const timeline = new DashTimeline(settings);
  timeline.addSegment(segment(1000, 0), tracks);
  timeline.addSegment(segment(1001, 1, { audio: false }));
  timeline.addSegment(segment(1002, 2));
  const [video, audio] = timeline.manifest(new Date(START_MS + 6000))!.periods[0]!.adaptationSets;
  t.equal(video!.segments.length, 3);
  t.match(audio, { startNumber: 2, segments: [{ start: 4 * 48000 }] });
});
