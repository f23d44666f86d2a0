import t from 'tap';
import HLS from 'hls-parser';
import { LivePlaylist, PlaylistEndedError } from '../../src/hls/live-playlist.js';

const START = Date.parse('2024-05-01T12:00:00.000Z');

/** Adds `count` segments named after their sequence number, back to back from `startMs`. */
function addRun(playlist: LivePlaylist, count: number, durationSeconds: number, startMs: number) {
  const removed = [];
  for (let i = 0; i < count; i += 1) {
    const sequence = playlist.nextMediaSequence;
    removed.push(
      ...playlist.addSegment({
        uri: `${sequence}.ts`,
        durationSeconds,
        programDateTime: new Date(startMs + i * durationSeconds * 1000),
      }),
    );
  }
  return removed.map((segment) => segment.uri);
}

t.test('a few segments: header, dates on every segment, EXTINF with three decimals', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 6 });
  playlist.addSegment({ uri: '0.ts', durationSeconds: 6.006, programDateTime: new Date(START) });
  playlist.addSegment({ uri: '1.ts', durationSeconds: 5.5, programDateTime: new Date(START + 6006) });
  playlist.addSegment({ uri: '2.ts', durationSeconds: 6, programDateTime: new Date(START + 11506) });

  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:6.006,
0.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:06.006Z
#EXTINF:5.500,
1.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:11.506Z
#EXTINF:6.000,
2.ts
`,
  );

  const parsed = HLS.parse(playlist.render());
  t.ok(parsed instanceof HLS.types.MediaPlaylist);
  if (!(parsed instanceof HLS.types.MediaPlaylist)) return;
  t.same(
    parsed.segments.map((segment) => [segment.uri, segment.duration, segment.mediaSequenceNumber]),
    [
      ['0.ts', 6.006, 0],
      ['1.ts', 5.5, 1],
      ['2.ts', 6, 2],
    ],
  );
});

t.test('the window slides: old segments are returned and the media sequence counts them', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2, windowSeconds: 6 });
  t.same(addRun(playlist, 3, 2, START), [], 'three segments exactly cover the window');
  t.same(addRun(playlist, 2, 2, START + 6000), ['0.ts', '1.ts']);
  t.equal(playlist.nextMediaSequence, 5);

  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:2
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:04.000Z
#EXTINF:2.000,
2.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:06.000Z
#EXTINF:2.000,
3.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:08.000Z
#EXTINF:2.000,
4.ts
`,
  );
});

t.test('never shorter than three target durations, whatever the window (RFC 8216 6.2.2)', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 4, windowSeconds: 2 });
  t.same(addRun(playlist, 3, 4, START), []);
  t.same(addRun(playlist, 1, 4, START + 12000), ['0.ts']);
  t.same(
    playlist.segments.map((segment) => segment.uri),
    ['1.ts', '2.ts', '3.ts'],
  );
});

t.test('a first media sequence other than 0', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2, firstMediaSequence: 1714564800000 });
  t.equal(playlist.nextMediaSequence, 1714564800000);
  addRun(playlist, 1, 2, START);
  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1714564800000
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:2.000,
1714564800000.ts
`,
  );
});

t.test('a discontinuity is tagged, and the sequence counts it once it leaves', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2, windowSeconds: 4 });
  addRun(playlist, 2, 2, START);
  // The encoder restarted: new timestamps, and a gap in wall-clock time.
  playlist.addSegment({
    uri: '2.ts',
    durationSeconds: 2.002,
    programDateTime: new Date(START + 30000),
    discontinuity: true,
  });
  addRun(playlist, 2, 2, START + 32002);

  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:2
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:30.000Z
#EXTINF:2.002,
2.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:32.002Z
#EXTINF:2.000,
3.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:34.002Z
#EXTINF:2.000,
4.ts
`,
  );
  t.same(
    playlist.segments.map((segment) => segment.discontinuitySequence),
    [1, 1, 1],
  );

  t.same(addRun(playlist, 1, 2, START + 36002), ['2.ts']);
  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-DISCONTINUITY-SEQUENCE:1
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:32.002Z
#EXTINF:2.000,
3.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:34.002Z
#EXTINF:2.000,
4.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:36.002Z
#EXTINF:2.000,
5.ts
`,
  );

  const parsed = HLS.parse(playlist.render());
  if (!(parsed instanceof HLS.types.MediaPlaylist)) throw new Error('expected a media playlist');
  t.equal(parsed.discontinuitySequenceBase, 1);
  t.equal(parsed.mediaSequenceBase, 3);
});

t.test('end() adds ENDLIST and refuses more segments', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2 });
  addRun(playlist, 2, 2, START);
  playlist.end();
  playlist.end();
  t.equal(playlist.ended, true);

  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:2.000,
0.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:02.000Z
#EXTINF:2.000,
1.ts
#EXT-X-ENDLIST
`,
  );
  t.throws(
    () => playlist.addSegment({ uri: '2.ts', durationSeconds: 2, programDateTime: new Date(START + 4000) }),
    PlaylistEndedError,
  );
});

t.test('resume() after end removes ENDLIST and marks the next segment as a discontinuity', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2 });
  addRun(playlist, 2, 2, START);
  playlist.end();
  playlist.resume();
  t.equal(playlist.ended, false);
  playlist.addSegment({ uri: '2.ts', durationSeconds: 1.5, programDateTime: new Date(START + 60000) });
  playlist.addSegment({ uri: '3.ts', durationSeconds: 2, programDateTime: new Date(START + 61500) });

  t.equal(
    playlist.render(),
    `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z
#EXTINF:2.000,
0.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:02.000Z
#EXTINF:2.000,
1.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:00.000Z
#EXTINF:1.500,
2.ts
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:01.500Z
#EXTINF:2.000,
3.ts
`,
  );
});

t.test('the target duration covers every rounded EXTINF and never decreases', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 6, windowSeconds: 1 });
  playlist.addSegment({ uri: '0.ts', durationSeconds: 6.4, programDateTime: new Date(START) });
  t.equal(playlist.targetDurationSeconds, 6, '6.4 rounds to 6');
  // Shown as 6.500 in the playlist, which a player rounds to 7.
  playlist.addSegment({ uri: '1.ts', durationSeconds: 6.4996, programDateTime: new Date(START + 6400) });
  t.equal(playlist.targetDurationSeconds, 7);
  addRun(playlist, 15, 2, START + 12900);
  t.notOk(playlist.segments.some((segment) => segment.uri === '1.ts'), 'the long segment left');
  t.equal(playlist.targetDurationSeconds, 7, 'but the target stays');
  t.match(playlist.render(), /^#EXT-X-TARGETDURATION:7$/m);
});

t.test('bad input is refused with the offending value', async (t) => {
  t.throws(() => new LivePlaylist({ targetDurationSeconds: 0 }), /targetDurationSeconds must be an integer >= 1, got 0/);
  t.throws(() => new LivePlaylist({ targetDurationSeconds: 2, windowSeconds: -1 }), /windowSeconds/);
  const playlist = new LivePlaylist({ targetDurationSeconds: 2 });
  t.throws(() => playlist.addSegment({ uri: '0.ts', durationSeconds: 0, programDateTime: new Date(START) }), /0.ts duration/);
  t.throws(() => playlist.addSegment({ uri: 'a\nb.ts', durationSeconds: 2, programDateTime: new Date(START) }), /one line/);
  t.throws(
    () => playlist.addSegment({ uri: '0.ts', durationSeconds: 2, programDateTime: new Date(Number.NaN) }),
    /not a valid date/,
  );
  t.equal(playlist.nextMediaSequence, 0, 'a refused segment does not take a sequence number');
});

t.test('a date that does not go forward starts where the previous segment ended', async (t) => {
  const playlist = new LivePlaylist({ targetDurationSeconds: 2 });
  playlist.addSegment({ uri: '0.ts', durationSeconds: 2, programDateTime: new Date(START) });
  playlist.addSegment({ uri: '1.ts', durationSeconds: 2, programDateTime: new Date(START - 5000), discontinuity: true });
  t.equal(playlist.segments[1]?.programDateTime.getTime(), START + 2000);
});
