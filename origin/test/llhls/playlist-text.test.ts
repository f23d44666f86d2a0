import t from 'tap';
import { PlaylistFeed, SEGMENT_PARTS_MS, START, parseStrictly } from './llhls-feed.js';

/** The lines every playlist of a 2 s target, 0.334 s part stream starts with. */
function header(mediaSequence: number, discontinuitySequence = 0, version = 6): string {
  return `#EXTM3U
#EXT-X-VERSION:${version}
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,CAN-SKIP-UNTIL=12.000
#EXT-X-PART-INF:PART-TARGET=0.334
#EXT-X-MEDIA-SEQUENCE:${mediaSequence}
#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}
`;
}

/** The date of a segment of a stream without gaps: segment 100 starts at START, each lasts 2 s. */
function dateOf(mediaSequence: number): string {
  return new Date(START + (mediaSequence - 100) * 2_000).toISOString();
}

/** A 2 s segment as listed without its parts. */
function segmentLines(mediaSequence: number): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${dateOf(mediaSequence)}
#EXTINF:2.000,
${mediaSequence}.m4s
`;
}

/** A 2 s segment listed with its parts. */
function segmentWithParts(mediaSequence: number): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${dateOf(mediaSequence)}
${partLines(mediaSequence)}#EXTINF:2.000,
${mediaSequence}.m4s
`;
}

/** The first init section and the first segment, with its parts. */
const FIRST_SEGMENT = `#EXT-X-MAP:URI="init-100.mp4"
${segmentWithParts(100)}`;

/** The six parts of a 2 s segment. */
function partLines(mediaSequence: number): string {
  return `#EXT-X-PART:DURATION=0.334,URI="${mediaSequence}.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.333,URI="${mediaSequence}.1.m4s"
#EXT-X-PART:DURATION=0.333,URI="${mediaSequence}.2.m4s"
#EXT-X-PART:DURATION=0.334,URI="${mediaSequence}.3.m4s"
#EXT-X-PART:DURATION=0.333,URI="${mediaSequence}.4.m4s"
#EXT-X-PART:DURATION=0.333,URI="${mediaSequence}.5.m4s"
`;
}

t.test('the first part: init section, date, the part, and the hint for the next one', async (t) => {
  const feed = new PlaylistFeed();
  feed.part(334, { independent: true });

  t.equal(
    feed.playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,CAN-SKIP-UNTIL=12.000
#EXT-X-PART-INF:PART-TARGET=0.334
#EXT-X-MEDIA-SEQUENCE:100
#EXT-X-DISCONTINUITY-SEQUENCE:0
#EXT-X-MAP:URI="init-100.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXT-X-PART:DURATION=0.334,URI="100.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="100.1.m4s"
`,
  );

  const parsed = parseStrictly(feed.playlist.render());
  t.same(parsed.lowLatencyCompatibility, { canBlockReload: true, canSkipUntil: 12, holdBack: undefined, partHoldBack: 1.002 });
  t.equal(parsed.partTargetDuration, 0.334);
  const [segment] = parsed.segments;
  t.same(
    segment?.parts.map((part) => [part.uri, part.duration, part.independent ?? false, part.hint]),
    [
      ['100.0.m4s', 0.334, true, false],
      ['100.1.m4s', undefined, false, true],
    ],
  );
});

t.test('mid-segment: the segment in progress is parts only, without EXTINF', async (t) => {
  const feed = new PlaylistFeed();
  feed.parts(3);

  t.equal(
    feed.playlist.render(),
    `${header(100)}#EXT-X-MAP:URI="init-100.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXT-X-PART:DURATION=0.334,URI="100.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.333,URI="100.1.m4s"
#EXT-X-PART:DURATION=0.333,URI="100.2.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="100.3.m4s"
`,
  );
  parseStrictly(feed.playlist.render());
});

t.test('a segment boundary: the finished segment gets EXTINF, the next opens on a keyframe part', async (t) => {
  const feed = new PlaylistFeed();
  feed.segment();

  t.equal(
    feed.playlist.render(),
    `${header(100)}${FIRST_SEGMENT}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="101.0.m4s"
`,
    'between segments the hint names part 0 of the next one',
  );

  feed.part(334, { independent: true });
  t.equal(
    feed.playlist.render(),
    `${header(100)}${FIRST_SEGMENT}#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:02.000Z
#EXT-X-PART:DURATION=0.334,URI="101.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="101.1.m4s"
`,
  );

  const parsed = parseStrictly(feed.playlist.render());
  t.same(
    parsed.segments.map((segment) => [segment.mediaSequenceNumber, segment.uri, segment.duration, segment.parts.length]),
    [
      [100, '100.m4s', 2, 6],
      [101, '', undefined, 2],
    ],
  );
});

t.test('a discontinuity with a new init section: DISCONTINUITY and MAP before the first part', async (t) => {
  const feed = new PlaylistFeed();
  feed.segment();
  // The encoder restarted with other settings; its clock jumped too.
  feed.clockMs += 30_000;
  feed.parts(2, { discontinuity: true, newInitSection: true });

  t.equal(
    feed.playlist.render(),
    `${header(100)}${FIRST_SEGMENT}#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="init-101.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:32.000Z
#EXT-X-PART:DURATION=0.334,URI="101.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.333,URI="101.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="101.2.m4s"
`,
  );
  const parsed = parseStrictly(feed.playlist.render());
  t.same(
    parsed.segments.map((segment) => [segment.discontinuity ?? false, segment.discontinuitySequence]),
    [
      [false, 0],
      [true, 1],
    ],
  );

  for (const ms of SEGMENT_PARTS_MS.slice(2)) feed.part(ms);
  feed.playlist.endSegment();
  feed.segment();
  t.match(
    feed.playlist.render(),
    /#EXTINF:2\.000,\n101\.m4s\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:34\.000Z\n#EXT-X-PART/,
    'the next segment keeps the new init section without repeating the MAP',
  );
});

t.test('the window slides: old segments leave, parts go once a segment starts three target durations back', async (t) => {
  const feed = new PlaylistFeed({ windowSeconds: 8 });
  feed.segment({ discontinuity: true });
  feed.segments(3);
  t.same(feed.segment(), [100], 'a fifth 2 s segment pushes the first out of an 8 s window');
  feed.parts(2);

  t.equal(
    feed.playlist.render(),
    `${header(101, 1)}#EXT-X-MAP:URI="init-100.mp4"
${segmentLines(101)}${segmentLines(102)}${segmentWithParts(103)}${segmentWithParts(104)}\
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z
#EXT-X-PART:DURATION=0.334,URI="105.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.333,URI="105.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="105.2.m4s"
`,
    'the discontinuity left with segment 100 and is counted in DISCONTINUITY-SEQUENCE; the MAP stays',
  );
  parseStrictly(feed.playlist.render());
});

t.test('ENDLIST: the parts in progress become the last segment, and the hint goes', async (t) => {
  const feed = PlaylistFeed.running(1, 3);
  const last = feed.playlist.end();
  t.equal(last?.segment.durationSeconds, 1);

  t.equal(
    feed.playlist.render(),
    `${header(100)}${FIRST_SEGMENT}#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:02.000Z
#EXT-X-PART:DURATION=0.334,URI="101.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.333,URI="101.1.m4s"
#EXT-X-PART:DURATION=0.333,URI="101.2.m4s"
#EXTINF:1.000,
101.m4s
#EXT-X-ENDLIST
`,
  );
  t.equal(parseStrictly(feed.playlist.render()).endlist, true);
  t.equal(feed.playlist.render({ skip: 'YES' }), feed.playlist.render(), 'an ended playlist ignores _HLS_skip');
});

t.test('a delta update skips the segments that end a Skip Boundary (12 s) or more before the last', async (t) => {
  const feed = new PlaylistFeed();
  feed.segments(10);
  feed.parts(1);
  const full = feed.playlist.render();
  const delta = feed.playlist.render({ skip: 'YES' });

  t.equal(
    delta,
    `${header(100, 0, 9)}#EXT-X-SKIP:SKIPPED-SEGMENTS=4
#EXT-X-MAP:URI="init-100.mp4"
${segmentLines(104)}${segmentLines(105)}${segmentLines(106)}${segmentLines(107)}\
${segmentWithParts(108)}${segmentWithParts(109)}\
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:20.000Z
#EXT-X-PART:DURATION=0.334,URI="110.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="110.1.m4s"
`,
    'version 9 for EXT-X-SKIP; the MAP is restated for the segments after it',
  );

  const whole = parseStrictly(full);
  const update = parseStrictly(delta);
  t.equal(update.skip, 4);
  t.same(
    update.segments.map((segment) => [segment.mediaSequenceNumber, segment.uri]),
    whole.segments.slice(4).map((segment) => [segment.mediaSequenceNumber, segment.uri]),
    'the update lists what the whole playlist lists after the skipped segments',
  );

  t.match(feed.playlist.render({ skip: 'v2' }), /\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4,RECENTLY-REMOVED-DATERANGES=""\n/);
});

t.test('a delta update with nothing old enough to skip is the whole playlist', async (t) => {
  const feed = new PlaylistFeed();
  feed.segments(6);
  feed.parts(1);
  t.equal(feed.playlist.render({ skip: 'YES' }), feed.playlist.render());
});

t.test('a discontinuity among the skipped segments leaves DISCONTINUITY-SEQUENCE as it is', async (t) => {
  const feed = new PlaylistFeed();
  feed.segment();
  feed.segment({ discontinuity: true, newInitSection: true });
  feed.segments(8);
  const delta = feed.playlist.render({ skip: 'YES' });
  t.match(delta, /#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n#EXT-X-MAP:URI="init-101.mp4"\n/);
  t.notMatch(delta, /#EXT-X-DISCONTINUITY\n/);
  parseStrictly(delta);
});
