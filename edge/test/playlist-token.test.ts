import t from 'tap';
import { withPlaybackToken } from '../src/playlist-token.js';

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
