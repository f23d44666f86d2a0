import t from 'tap';
import { webmHasH264Video, webmToFlvArgs } from '../../src/ingest/webm-transcode.js';

t.test('H.264 is copied only when the WebM names it', async (t) => {
  const tracks = (codecId: string) => new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x86, ...new TextEncoder().encode(codecId), 0x00]);
  t.equal(webmHasH264Video(tracks('V_MPEG4/ISO/AVC')), true);
  t.equal(webmHasH264Video(tracks('V_VP8')), false);
  t.equal(webmHasH264Video(tracks('V_VP9')), false);
  t.equal(webmHasH264Video(tracks('V_MPEG4/ISO/AV')), false, 'a truncated name is not H.264');
  t.match(webmToFlvArgs({ copyVideo: true }).join(' '), /-c:v copy .*-c:a aac/);
  t.match(webmToFlvArgs({ copyVideo: false }).join(' '), /-c:v libx264 -preset veryfast/);
});
