import t from 'tap';
import { resolve } from 'node:path';
import { readHlsSettings } from '../../src/hls/hls-settings.js';

t.test('defaults', async (t) => {
  t.same(readHlsSettings({}), {
    hlsPath: resolve('.run/hls'),
    playlistLengthSeconds: 60,
    segmentGraceSeconds: 60,
    cleanupAfterEndSeconds: 300,
  });
});

t.test('the grace period follows the playlist length unless set', async (t) => {
  t.match(readHlsSettings({ HLS_PLAYLIST_LENGTH_SECONDS: '30' }), { playlistLengthSeconds: 30, segmentGraceSeconds: 30 });
  t.match(readHlsSettings({ HLS_PLAYLIST_LENGTH_SECONDS: '30', HLS_SEGMENT_GRACE_SECONDS: '10' }), {
    segmentGraceSeconds: 10,
  });
  t.equal(readHlsSettings({ HLS_PATH: '/srv/hls' }).hlsPath, '/srv/hls');
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => readHlsSettings({ HLS_PLAYLIST_LENGTH_SECONDS: '0' }), /HLS_PLAYLIST_LENGTH_SECONDS="0"/);
  t.throws(() => readHlsSettings({ HLS_CLEANUP_AFTER_END_SECONDS: 'soon' }), /HLS_CLEANUP_AFTER_END_SECONDS="soon"/);
});
