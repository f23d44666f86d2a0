import t from 'tap';
import {
  durationSecondsOf,
  parseRecordingPlaylist,
  stringifyRecordingPlaylist,
  type RecordingPlaylist,
} from '../../src/recording/recording-playlist.js';

const GROWING: RecordingPlaylist = {
  targetDurationSeconds: 2,
  segments: [
    { uri: '0.ts', durationSeconds: 2.002, discontinuity: false },
    { uri: '1.ts', durationSeconds: 1.5, discontinuity: false },
    { uri: '2.ts', durationSeconds: 2, discontinuity: true },
  ],
  ended: false,
};

const EVENT_TEXT = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXTINF:2.002,
0.ts
#EXTINF:1.500,
1.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.000,
2.ts
`;

t.test('while recording: an EVENT playlist without ENDLIST, a discontinuity where a session came back', async (t) => {
  t.equal(stringifyRecordingPlaylist(GROWING), EVENT_TEXT);
  t.same(parseRecordingPlaylist(EVENT_TEXT), GROWING, 'read back as the same data');
});

t.test('closed: VOD with ENDLIST', async (t) => {
  const closed = { ...GROWING, ended: true };
  const text = stringifyRecordingPlaylist(closed);
  t.equal(text, EVENT_TEXT.replace('#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-PLAYLIST-TYPE:VOD') + '#EXT-X-ENDLIST\n');
  t.same(parseRecordingPlaylist(text), closed);
});

t.test('the target duration covers the longest segment, rounded (RFC 8216 4.3.3.1)', async (t) => {
  const long = { ...GROWING, segments: [...GROWING.segments, { uri: '3.ts', durationSeconds: 6.6, discontinuity: false }] };
  t.match(stringifyRecordingPlaylist(long), /^#EXT-X-TARGETDURATION:7$/m);
  t.equal(parseRecordingPlaylist(stringifyRecordingPlaylist(long)).targetDurationSeconds, 7);
});

t.test('an empty recording, and its duration', async (t) => {
  const empty: RecordingPlaylist = { targetDurationSeconds: 4, segments: [], ended: false };
  t.same(parseRecordingPlaylist(stringifyRecordingPlaylist(empty)), empty);
  t.equal(durationSecondsOf(empty), 0);
  t.equal(durationSecondsOf(GROWING), 5.502, 'summed in milliseconds: no 5.5019999');
});

t.test('anything else is refused, naming the line', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /line 1: expected #EXTM3U/],
    [EVENT_TEXT.replace('#EXTINF:1.500,', '#EXTINF:abc,'), /line 8: bad segment duration/],
    [EVENT_TEXT.replace('1.ts', '../1.ts'), /line 9: not a line of a recording playlist/],
    [EVENT_TEXT.replace('#EXTINF:1.500,\n', ''), /line 8: a segment without #EXTINF/],
    [EVENT_TEXT.replace('#EXT-X-PLAYLIST-TYPE:EVENT\n', ''), /no #EXT-X-PLAYLIST-TYPE/],
    [EVENT_TEXT + '#EXT-X-ENDLIST\n', /EVENT playlist with ENDLIST/],
    [EVENT_TEXT.replace('EVENT', 'VOD'), /VOD playlist without ENDLIST/],
    [EVENT_TEXT + '#EXT-X-ENDLIST\n3.ts\n', /nothing may follow EXT-X-ENDLIST/],
  ];
  for (const [text, message] of cases) t.throws(() => parseRecordingPlaylist(text), { code: 'LIVE_ERR_RECORDING_PLAYLIST', message });
});
