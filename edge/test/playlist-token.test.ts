import t from 'tap';
import { withManifestPlaybackToken, withPlaybackToken } from '../src/playlist-token.js';

t.test('every URI of a media playlist carries the token, tags and blank lines stay as they are', async (t) => {
  const playlist = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MAP:URI="init.mp4"',
    '',
    '#EXTINF:2.000,',
    '100.ts',
    '#EXT-X-DISCONTINUITY',
    '#EXTINF:2.000,',
    '101.ts?v=1',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="102.0.ts"',
    '',
  ].join('\n');
  t.equal(
    withPlaybackToken(playlist, 'a.b+c'),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MAP:URI="init.mp4?token=a.b%2Bc"',
      '',
      '#EXTINF:2.000,',
      '100.ts?token=a.b%2Bc',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:2.000,',
      '101.ts?v=1&token=a.b%2Bc',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="102.0.ts?token=a.b%2Bc"',
      '',
    ].join('\n'),
  );
});

t.test('CRLF playlists keep their line ends on tags', async (t) => {
  t.equal(withPlaybackToken('#EXTM3U\r\n#EXTINF:2,\r\n1.ts\r\n', 'x'), '#EXTM3U\r\n#EXTINF:2,\r\n1.ts?token=x\n');
});

t.test('a DASH manifest: the SegmentTemplate initialization and media templates (and BaseURL) carry the token', async (t) => {
  const manifest = [
    '<MPD type="dynamic" minimumUpdatePeriod="PT2S">',
    '  <BaseURL>https://cdn.example/</BaseURL>',
    '  <SegmentTemplate timescale="90000" initialization="v-init-1.mp4" media="v-1-$Number$.m4s">',
    '  <SegmentTemplate timescale="48000" initialization="a-init-1.mp4?v=2" media="a-1-$Number$.m4s">',
    '</MPD>',
  ].join('\n');
  t.equal(
    withManifestPlaybackToken(manifest, 'a.b+c'),
    [
      '<MPD type="dynamic" minimumUpdatePeriod="PT2S">',
      '  <BaseURL>https://cdn.example/?token=a.b%2Bc</BaseURL>',
      '  <SegmentTemplate timescale="90000" initialization="v-init-1.mp4?token=a.b%2Bc" media="v-1-$Number$.m4s?token=a.b%2Bc">',
      '  <SegmentTemplate timescale="48000" initialization="a-init-1.mp4?v=2&amp;token=a.b%2Bc" media="a-1-$Number$.m4s?token=a.b%2Bc">',
      '</MPD>',
    ].join('\n'),
  );
});
