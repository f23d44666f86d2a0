import t from 'tap';
import { PlaylistEndedError } from '../../src/hls/live-playlist.js';
import { LowLatencyPlaylist } from '../../src/llhls/low-latency-playlist.js';
import { PlaylistFeed, START, parseStrictly } from './llhls-feed.js';

t.test('the hint names the part the packager stores next, and addPart lists it under that name', async (t) => {
  const feed = new PlaylistFeed();
  const { playlist } = feed;
  t.same(playlist.preloadHint, { uri: '100.0.m4s', mediaSequenceNumber: 100, partIndex: 0 });
  t.equal(playlist.nextInitSectionUri, 'init-100.mp4');
  t.equal(playlist.segmentInProgress, undefined);

  feed.part(334, { independent: true });
  t.same(playlist.preloadHint, { uri: '100.1.m4s', mediaSequenceNumber: 100, partIndex: 1 });
  t.equal(playlist.segmentUri, '100.m4s');
  t.same(playlist.segmentInProgress?.parts, [
    { uri: '100.0.m4s', mediaSequenceNumber: 100, partIndex: 0, durationSeconds: 0.334, independent: true },
  ]);

  feed.part(333);
  const { segment, removed } = playlist.endSegment();
  t.same(removed, []);
  t.equal(segment.uri, '100.m4s');
  t.equal(segment.durationSeconds, 0.667);
  t.equal(segment.initSectionUri, 'init-100.mp4');
  t.equal(playlist.partCountOf(100), 2);
  t.equal(playlist.partCountOf(101), undefined);
  t.same(playlist.preloadHint, { uri: '101.0.m4s', mediaSequenceNumber: 101, partIndex: 0 });
});

t.test('durations are kept to the millisecond the playlist shows, and a segment is the sum of its parts', async (t) => {
  const feed = new PlaylistFeed();
  feed.part(333.4, { independent: true });
  feed.part(333.4);
  feed.part(333.4);
  const { segment } = feed.playlist.endSegment();
  t.same(
    segment.parts.map((part) => part.durationSeconds),
    [0.333, 0.333, 0.333],
  );
  t.equal(segment.durationSeconds, 0.999);
});

t.test('a part longer than PART-TARGET raises it (and PART-HOLD-BACK) for good', async (t) => {
  // A 5 fps publisher: one frame is longer than a part target.
  const feed = new PlaylistFeed();
  feed.part(334, { independent: true });
  feed.part(400);
  feed.part(200);
  t.equal(feed.playlist.partTargetSeconds, 0.4);
  t.match(feed.playlist.render(), /PART-HOLD-BACK=1\.200,.*\n#EXT-X-PART-INF:PART-TARGET=0\.400\n/);
});

t.test('a segment longer than the target raises TARGETDURATION to its rounded length, and CAN-SKIP-UNTIL with it', async (t) => {
  const feed = new PlaylistFeed();
  for (let i = 0; i < 8; i += 1) feed.part(334, { independent: i === 0 });
  feed.playlist.endSegment();
  t.equal(feed.playlist.targetDurationSeconds, 3, '2.672 s rounds to 3');
  t.match(feed.playlist.render(), /#EXT-X-TARGETDURATION:3\n.*CAN-SKIP-UNTIL=18\.000\n/);
  parseStrictly(feed.playlist.render());
});

t.test('program dates never go back: a segment dated at or before the previous one starts where it ended', async (t) => {
  const feed = new PlaylistFeed();
  feed.segment();
  feed.clockMs = START - 5_000;
  feed.parts(1);
  t.equal(feed.playlist.segmentInProgress?.programDateTime.toISOString(), '2024-05-01T12:00:02.000Z');
});

t.test('a discontinuity or a new init section starts a segment', async (t) => {
  const feed = new PlaylistFeed();
  feed.parts(2);
  t.throws(() => feed.part(333, { discontinuity: true }), RangeError);
  t.throws(() => feed.part(333, { newInitSection: true }), RangeError);
  t.equal(feed.playlist.openPartCount, 2, 'the refused parts were not added');
});

t.test('endSegment needs a part, addPart a positive duration and a valid date', async (t) => {
  const feed = new PlaylistFeed();
  t.throws(() => feed.playlist.endSegment(), RangeError);
  t.throws(() => feed.part(0), RangeError);
  t.throws(() => feed.part(0.4), RangeError, 'rounds to 0 ms');
  t.throws(() => feed.part(Number.NaN), RangeError);
  const invalidDate = { durationSeconds: 0.3, independent: true, programDateTime: new Date(Number.NaN) };
  t.throws(() => feed.playlist.addPart(invalidDate), RangeError);
  t.equal(feed.playlist.openPartCount, 0);
});

t.test('the options are checked', async (t) => {
  const options = { targetDurationSeconds: 2, partTargetSeconds: 0.334 };
  t.throws(() => new LowLatencyPlaylist({ ...options, targetDurationSeconds: 1.5 }), RangeError);
  t.throws(() => new LowLatencyPlaylist({ ...options, targetDurationSeconds: 0 }), RangeError);
  t.throws(() => new LowLatencyPlaylist({ ...options, partTargetSeconds: 0 }), RangeError);
  t.throws(() => new LowLatencyPlaylist({ ...options, partTargetSeconds: 2.5 }), RangeError, 'a part longer than a segment');
  t.throws(() => new LowLatencyPlaylist({ ...options, windowSeconds: 0 }), RangeError);
  t.throws(() => new LowLatencyPlaylist({ ...options, firstMediaSequence: -1 }), RangeError);
  t.equal(new LowLatencyPlaylist(options).windowSeconds, 60, 'the window defaults to the MPEG-TS playlist length');
});

t.test('after end(), parts are refused until resume(); the next segment is a discontinuity', async (t) => {
  const feed = new PlaylistFeed();
  feed.segment();
  t.equal(feed.playlist.end(), undefined, 'no parts in progress: nothing to close');
  t.equal(feed.playlist.ended, true);
  t.equal(feed.playlist.preloadHint, undefined);
  t.throws(() => feed.part(334), PlaylistEndedError);

  feed.playlist.resume();
  feed.clockMs += 60_000;
  feed.parts(1, { newInitSection: true });
  const resumed = feed.playlist.segmentInProgress;
  t.equal(resumed?.discontinuity, true);
  t.equal(resumed?.discontinuitySequence, 1);
  t.equal(resumed?.initSectionUri, 'init-101.mp4');
  t.match(feed.playlist.render(), /100\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-101\.mp4"\n/);
  t.notMatch(feed.playlist.render(), /ENDLIST/);
});

t.test('segments that leave the window are returned; the discontinuity sequence counts their tags', async (t) => {
  const feed = new PlaylistFeed({ windowSeconds: 6 });
  t.same([feed.segment(), feed.segment({ discontinuity: true }), feed.segment()], [[], [], []]);
  t.same(feed.segment(), [100]);
  t.same(feed.segment(), [101]);
  t.equal(feed.playlist.mediaSequence, 102);
  t.equal(feed.playlist.discontinuitySequence, 1);
  t.equal(feed.playlist.partCountOf(101), undefined);
  t.equal(feed.playlist.partCountOf(102), 6);
});

t.test('another naming scheme names the hint, the parts, the segments and the init sections', async (t) => {
  const feed = new PlaylistFeed({
    naming: {
      segment: (msn) => `seg-${msn}.mp4`,
      part: (msn, part) => `part-${msn}-${part}.mp4`,
      init: (msn) => `map-${msn}.mp4`,
    },
  });
  feed.segment();
  feed.parts(1);
  const text = feed.playlist.render();
  t.match(text, /#EXT-X-MAP:URI="map-100.mp4"/);
  t.match(text, /\nseg-100.mp4\n/);
  t.match(text, /#EXT-X-PART:DURATION=0.334,URI="part-101-0.mp4",INDEPENDENT=YES\n/);
  t.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-101-1.mp4"\n$/);
});

t.test('resume() without a clean end: the parts in progress become a segment, the next one is a discontinuity', async (t) => {
  const feed = PlaylistFeed.running(1, 2);
  const dropped = feed.playlist.resume();
  t.equal(dropped?.segment.durationSeconds, 0.667);
  t.equal(dropped?.segment.discontinuity, false, 'the dropped session keeps its own segment as it was listed');
  feed.parts(1, { newInitSection: true });
  t.equal(feed.playlist.segmentInProgress?.discontinuity, true);
  t.equal(feed.playlist.segmentInProgress?.mediaSequenceNumber, 102);
  t.match(feed.playlist.render(), /#EXTINF:0\.667,\n101\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-102\.mp4"\n/);

  feed.part(333);
  feed.playlist.endSegment();
  t.same(
    feed.playlist.segments.map((segment) => [segment.mediaSequenceNumber, segment.discontinuity, segment.discontinuitySequence]),
    [
      [100, false, 0],
      [101, false, 0],
      [102, true, 1],
    ],
    'the window agrees with what was listed while in progress',
  );
});
