/**
 * An ABR stream's manifest: each rendition's video is another Representation of the source's
 * video AdaptationSet, with its own names and a presentationTimeOffset that puts each segment
 * number where the source's is, whatever the rendition's decode times and Period.
 */
import t from 'tap';
import { cmafTracksOf } from '../../src/cmaf/cmaf-track.js';
import { withRenditions } from '../../src/dash/dash-renditions.js';
import { DashTimeline, type DashSegment } from '../../src/dash/dash-timeline.js';
import { renderMpd } from '../../src/dash/mpd.js';
import { audioConfigFrom, videoConfigFrom } from '../../src/media/stream-config.js';
import { AVC_RECORD_320X240, AVC_RECORD_640X360 } from '../media/fixtures/flv-tags.js';
import { hex } from '../media/fixtures/ts-reader.js';

const START_MS = Date.parse('2026-11-30T18:00:00.000Z');
const settings = { segmentTargetSeconds: 2, windowSeconds: 24 };
const audio = audioConfigFrom(hex('1190'));

/** Segment `number`, 2 s from `seconds` on the video track (decode time `seconds + shiftSeconds`), with or without audio. */
function segment(number: number, seconds: number, { shiftSeconds = 0, withAudio = true, bytes = 250_000 } = {}): DashSegment {
  return {
    number,
    programDateTime: new Date(START_MS + seconds * 1000),
    tracks: [
      { trackId: 1, baseDecodeTime: Math.round((seconds + shiftSeconds) * 90000), duration: 180000, sampleCount: 60, byteLength: bytes },
      ...(withAudio ? [{ trackId: 2, baseDecodeTime: seconds * 48000, duration: 96256, sampleCount: 94, byteLength: 24_064 }] : []),
    ],
  };
}

t.test("a rendition joins the source's video AdaptationSet over the same numbers, lined up by number", async (t) => {
  const source = new DashTimeline(settings);
  source.addSegment(segment(1000, 0), cmafTracksOf({ video: videoConfigFrom(hex(AVC_RECORD_640X360)), audio }));
  for (let i = 1; i < 5; i++) source.addSegment(segment(1000 + i, 2 * i));
  // The rendition started two segments later, its decode times 66 ms after the source's (B-frames in the source).
  const rendition = new DashTimeline({ ...settings, rendition: '240p' });
  rendition.addSegment(segment(1002, 4, { shiftSeconds: 0.066, bytes: 50_000 }), cmafTracksOf({ video: videoConfigFrom(hex(AVC_RECORD_320X240)), audio }));
  for (let i = 3; i < 6; i++) rendition.addSegment(segment(1000 + i, 2 * i, { shiftSeconds: 0.066, bytes: 50_000 }));

  const mpd = withRenditions(source.manifest(new Date(START_MS + 10_000))!, [{ name: '240p', timeline: rendition }]);
  const [video, audioSet] = mpd.periods[0]!.adaptationSets;
  t.equal(audioSet!.alternatives, undefined, 'audio stays the source\'s alone');
  t.equal(video!.alternatives?.length, 1);
  const alternative = video!.alternatives![0]!;
  t.match(alternative, { id: '240p', initialization: '240p-v-init-1002.mp4', media: '240p-v-1002-$Number$.m4s', startNumber: 0, bandwidth: 200_000 });
  t.match(alternative.track, { width: 320, height: 240 });
  t.equal(alternative.segments.length, 3, "only the numbers the source lists (1002-1004), not the rendition's newer 1005");
  const periodTime = (set: { presentationTimeOffset: number; segments: readonly { start: number }[] }, index: number) => set.segments[index]!.start - set.presentationTimeOffset;
  t.equal(periodTime(alternative, 0), periodTime(video!, 2), 'segment 1002 starts at the same Period time in both');
  t.equal(periodTime(alternative, 2), periodTime(video!, 4), 'and so does 1004');

  const text = renderMpd(mpd);
  t.match(text, /<Representation id="video"[^>]*width="640" height="360"[\s\S]*<\/Representation>\s*<Representation id="240p" codecs="avc1\.[0-9a-f]{6}" bandwidth="200000" width="320" height="240"/, 'rendered after the source, in the same AdaptationSet');
  t.equal([...text.matchAll(/<AdaptationSet /g)].length, 2);
  t.equal(withRenditions(source.manifest(new Date(START_MS))!, []).periods[0]!.adaptationSets[0]!.alternatives, undefined, 'no renditions, no change');
});

t.test('a rendition with no segment the source lists is left out', async (t) => {
  const source = new DashTimeline(settings);
  source.addSegment(segment(1000, 0), cmafTracksOf({ video: videoConfigFrom(hex(AVC_RECORD_640X360)), audio }));
  const rendition = new DashTimeline({ ...settings, rendition: '240p' });
  rendition.addSegment(segment(1001, 2), cmafTracksOf({ video: videoConfigFrom(hex(AVC_RECORD_320X240)), audio }));
  const mpd = withRenditions(source.manifest(new Date(START_MS + 2000))!, [{ name: '240p', timeline: rendition }]);
  t.equal(mpd.periods[0]!.adaptationSets[0]!.alternatives, undefined);
});
