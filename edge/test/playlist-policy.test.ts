import t from 'tap';
import { originMaxAgeS, playlistLifetime, playlistMaxAgeS, readPlaylistFacts } from '../src/playlist-policy.js';

const LIVE = { ended: false, endsAtMs: undefined };
const NOW = 1_000_000;

t.test('reads the target duration and ENDLIST', async (t) => {
  t.same(readPlaylistFacts('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n1.ts\n'), { targetDurationS: 6, hasEndList: false });
  t.same(readPlaylistFacts('#EXTM3U\r\n#EXT-X-TARGETDURATION:4\r\n#EXTINF:4.0,\r\n1.ts\r\n#EXT-X-ENDLIST\r\n'), {
    targetDurationS: 4,
    hasEndList: true,
  });
  t.same(readPlaylistFacts('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n'), { targetDurationS: undefined, hasEndList: false });
  t.same(readPlaylistFacts('#EXTM3U\n#EXT-X-TARGETDURATION:0\n'), { targetDurationS: undefined, hasEndList: false });
  t.same(readPlaylistFacts('#EXTM3U\n#EXT-X-TARGETDURATION:x\n# EXT-X-ENDLIST\n'), { targetDurationS: undefined, hasEndList: false });
});

t.test('a live playlist lives half a target duration, 1 s without one', async (t) => {
  t.same(playlistLifetime({ targetDurationS: 2, hasEndList: false }, LIVE, NOW), { cacheMs: 1_000, ended: false });
  t.same(playlistLifetime({ targetDurationS: 6, hasEndList: false }, LIVE, NOW), { cacheMs: 3_000, ended: false });
  t.same(playlistLifetime({ targetDurationS: undefined, hasEndList: false }, LIVE, NOW), { cacheMs: 1_000, ended: false });
});

t.test('a final playlist of an ended stream lives until the grace end', async (t) => {
  const ended = { ended: true, endsAtMs: NOW + 60_000 };
  t.same(playlistLifetime({ targetDurationS: 2, hasEndList: true }, ended, NOW), { cacheMs: 60_000, ended: true });
  t.same(playlistLifetime({ targetDurationS: 2, hasEndList: false }, ended, NOW), { cacheMs: 1_000, ended: false }, 'no ENDLIST: still live');
  t.same(playlistLifetime({ targetDurationS: 2, hasEndList: true }, LIVE, NOW), { cacheMs: 1_000, ended: false }, 'live again: treated as live');
  t.same(playlistLifetime({ targetDurationS: 2, hasEndList: true }, { ended: true, endsAtMs: NOW }, NOW), { cacheMs: 1_000, ended: false });
});

t.test('max-age: whole seconds, at least 1; a final playlist a little longer, never past the grace end', async (t) => {
  t.equal(playlistMaxAgeS({ cacheMs: 1_000, ended: false }, 10), 1);
  t.equal(playlistMaxAgeS({ cacheMs: 500, ended: false }, 10), 1);
  t.equal(playlistMaxAgeS({ cacheMs: 3_000, ended: false }, 10), 3);
  t.equal(playlistMaxAgeS({ cacheMs: 60_000, ended: true }, 10), 10);
  t.equal(playlistMaxAgeS({ cacheMs: 4_500, ended: true }, 10), 4);
});

t.test('Low-Latency: a plain playlist lives half a PART-TARGET, a blocking answer its origin max-age', async (t) => {
  const text = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n#EXT-X-PART-INF:PART-TARGET=0.334\n';
  const facts = readPlaylistFacts(text);
  t.same(facts, { targetDurationS: 2, hasEndList: false, partTargetS: 0.334 });
  t.same(playlistLifetime(facts, LIVE, NOW), { cacheMs: 167, ended: false, lowLatency: true });
  t.equal(playlistMaxAgeS(playlistLifetime(facts, LIVE, NOW), 10), 0, 'under a second: a CDN revalidates');
  t.same(playlistLifetime({ ...facts, blockingMaxAgeS: 1 }, LIVE, NOW), { cacheMs: 1_000, ended: false, lowLatency: true });
  t.equal(playlistMaxAgeS(playlistLifetime({ ...facts, blockingMaxAgeS: 1 }, LIVE, NOW), 10), 1);
  t.same(playlistLifetime({ ...facts, blockingMaxAgeS: 0 }, LIVE, NOW), { cacheMs: 0, ended: false, lowLatency: true }, 'no max-age: not reused');
  const ended = { ended: true, endsAtMs: NOW + 60_000 };
  t.same(playlistLifetime({ ...facts, hasEndList: true }, ended, NOW), { cacheMs: 60_000, ended: true }, 'a final LL playlist is final');
});

t.test("the origin's max-age: a number, 0 for no-cache, no-store or none", async (t) => {
  t.equal(originMaxAgeS('public, max-age=1'), 1);
  t.equal(originMaxAgeS('max-age=3, public'), 3);
  t.equal(originMaxAgeS('no-cache'), 0);
  t.equal(originMaxAgeS('no-store, max-age=5'), 0);
  t.equal(originMaxAgeS('s-maxage=5'), 0);
  t.equal(originMaxAgeS(undefined), 0);
});

t.test('a DASH manifest: minimumUpdatePeriod stands for the target duration; without it the manifest is final', async (t) => {
  const live = readPlaylistFacts('<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" minimumUpdatePeriod="PT2S" minBufferTime="PT2S">\n</MPD>\n');
  t.same(live, { targetDurationS: 2, hasEndList: false });
  t.equal(playlistLifetime(live, { ended: false, endsAtMs: undefined }, 0).cacheMs, 1_000, 'reused half an update period');
  const ended = readPlaylistFacts('<MPD type="dynamic" mediaPresentationDuration="PT11S" minBufferTime="PT2S">\n</MPD>\n');
  t.same(ended, { targetDurationS: undefined, hasEndList: true });
  t.same(readPlaylistFacts('<MPD minimumUpdatePeriod="P1D">').hasEndList, false, 'an update period in other units: live, period unknown');
});
