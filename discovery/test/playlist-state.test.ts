import t from 'tap';
import { readPlaylistState } from '../src/playlist-state.js';

// Exactly what nginx-rtmp writes with `hls_nested on` after its first fragment.
const NGINX_RTMP = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n\n#EXTINF:2.000,\n0.ts\n';

t.test('an nginx-rtmp live playlist is live with its target duration and length', async (t) => {
  t.same(readPlaylistState(NGINX_RTMP), { kind: 'live', targetDurationSeconds: 2, durationSeconds: 2 });
});

t.test('ENDLIST makes a playlist ended, with its length', async (t) => {
  t.same(readPlaylistState(`${NGINX_RTMP}#EXTINF:1.5,\n1.ts\n#EXT-X-ENDLIST\n`), { kind: 'ended', durationSeconds: 3.5 });
});

t.test('a sliding window with a later media sequence is live', async (t) => {
  const text = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:41',
    '#EXTINF:1.000,',
    '41.ts',
    '#EXTINF:1.000,',
    '42.ts',
    '',
  ].join('\n');
  t.same(readPlaylistState(text), { kind: 'live', targetDurationSeconds: 1, durationSeconds: 2 });
});

t.test('a segment longer than the target duration is tolerated', async (t) => {
  // Strict HLS forbids it; viewers can still play it, so discovery must not hide the stream.
  const text = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:3.500,\n0.ts\n';
  t.same(readPlaylistState(text), { kind: 'live', targetDurationSeconds: 1, durationSeconds: 3.5 });
});

t.test('half-valid or empty files are not ready, never a throw', async (t) => {
  const cases: Record<string, string> = {
    empty: '',
    garbage: 'garbage',
    'cut inside a tag': '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQ',
    'no segment yet': '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n',
    'cut before a URI': '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n',
    'no target duration': '#EXTM3U\n#EXTINF:2.000,\n0.ts\n',
    'master playlist': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n',
  };
  for (const [label, text] of Object.entries(cases)) {
    t.equal(readPlaylistState(text).kind, 'not-ready', label);
  }
});
