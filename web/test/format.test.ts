import t from 'tap';
import { elapsedSince, formatAbr, formatPullStatus, formatBitrate, formatBytes, formatCodecs, formatDuration, formatVideo, liveStateWords, storageWords } from '../src/format.js';

t.test('bitrates, sizes and durations as people read them', async (t) => {
  t.equal(formatBitrate(2_512_000), '2.5 Mb/s');
  t.equal(formatBitrate(96_400), '96 kb/s');
  t.equal(formatBitrate(0), '0 b/s');
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(1536), '1.5 KB');
  t.equal(formatBytes(5 * 1024 ** 3), '5.0 GB');
  t.equal(formatDuration(0), '0:00');
  t.equal(formatDuration(123.9), '2:03');
  t.equal(formatDuration(3723), '1:02:03');
  t.equal(formatDuration(-5), '0:00', 'a clock a little ahead of the API never shows a negative time');
  t.equal(elapsedSince('2026-11-30T10:00:00.000Z', Date.parse('2026-11-30T10:02:03.000Z')), '2:03');
});

t.test('the live badge tells a live publisher from one that is away (fallback playing)', async (t) => {
  const now = Date.parse('2026-11-30T10:02:03.000Z');
  const since = '2026-11-30T10:00:00.000Z';
  t.match(liveStateWords({ live: false, live_since: null, publisher: null }, now), { state: 'offline', text: 'Offline' });
  t.match(liveStateWords({ live: true, live_since: since, publisher: 'connected' }, now), { state: 'live', text: '● Live 2:03' });
  t.match(liveStateWords({ live: true, live_since: since, publisher: 'away' }, now), {
    state: 'away',
    text: '● Publisher away 2:03',
    title: /fallback video/,
  });
  t.match(liveStateWords({ live: true, live_since: null, publisher: null }, now), { state: 'live', text: '● Live' }, 'a live stream whose publisher is not known reads live');
});

t.test('the ingest video and codecs in words', async (t) => {
  t.equal(formatVideo({ codec: 'avc1.64001f', width: 1280, height: 720, fps: 30 }), '1280x720 30 fps');
  t.equal(formatVideo({ codec: 'avc1.64001f', width: 1920, height: 1080, fps: 29.97 }), '1920x1080 29.97 fps');
  t.equal(formatVideo({ codec: 'avc1.42e01e', width: 640, height: 360, fps: null }), '640x360');
  t.equal(formatVideo(null), 'no video');
  t.equal(formatVideo({ codec: 'avc1.64001f', width: null, height: null, fps: 25 }), 'size unknown 25 fps');
  t.equal(
    formatCodecs({ codec: 'avc1.64001f', width: 1280, height: 720, fps: 30 }, { codec: 'mp4a.40.2', sample_rate: 48000, channels: 2 }),
    'H.264 High, AAC-LC 48 kHz stereo',
  );
  t.equal(formatCodecs({ codec: 'avc1.4D401F', width: 1, height: 1, fps: 1 }, null), 'H.264 Main');
  t.equal(formatCodecs(null, { codec: 'mp4a.40.5', sample_rate: 44100, channels: 1 }), 'HE-AAC 44.1 kHz mono');
  t.equal(formatCodecs(null, null), 'unknown');
});

t.test('recording storage against the quota, and what a full one means', async (t) => {
  t.same(storageWords({ usedBytes: 1536, quotaBytes: 100 * 1024 ** 3 }), { text: 'Your recordings take 1.5 KB of your 100.0 GB quota.', full: false });
  t.same(storageWords({ usedBytes: 5 * 1024 ** 3, quotaBytes: 5 * 1024 ** 3 }), {
    text: 'Your recordings take 5.0 GB of your 5.0 GB quota: new sessions go live but are not recorded. Delete recordings to record again.',
    full: true,
  });
  t.same(storageWords({ usedBytes: 0, quotaBytes: null }), { text: 'Your recordings take 0 B.', full: false }, 'the admin is not limited');
});

t.test('the ABR ladder in words, for each state the origin reports', async (t) => {
  const abr = (state: string, extra: object = {}) => formatAbr({ state, renditions: ['720p', '480p', '360p'], restarts: 0, ...extra });
  t.equal(abr('running'), 'Source + 720p, 480p, 360p');
  t.equal(abr('starting'), 'Starting: source + 720p, 480p, 360p');
  t.equal(abr('restarting', { restarts: 2, last_stop: 'ffmpeg exited with code 1' }), 'Restarting after a stop (2 so far: ffmpeg exited with code 1); the source plays on');
  t.equal(formatAbr({ state: 'source-only', renditions: [], restarts: 0 }), "Source only: no rendition is below the source's height");
  t.equal(formatAbr({ state: 'over-limit', renditions: [], restarts: 0 }), 'Off for this broadcast: the origin already transcodes as many streams as it may');
  t.equal(abr('waiting-for-source'), 'Waiting for the video');
  t.equal(abr('ended'), 'Ended');
});

t.test('a pull source\'s status in words', async (t) => {
  const status = (state: 'connecting' | 'live' | 'retrying', attempts = 0, last_error: string | null = null) => ({ state, since: '2026-01-01T00:00:00Z', attempts, last_error });
  t.equal(formatPullStatus(null), 'Waiting for an origin to take it on');
  t.equal(formatPullStatus(status('connecting')), 'Connecting to the source');
  t.equal(formatPullStatus(status('live')), 'Live: the platform is publishing the source');
  t.equal(formatPullStatus(status('retrying', 1)), 'Retrying (1 attempt so far)');
  t.equal(formatPullStatus(status('retrying', 3, 'Connection refused')), 'Retrying (3 attempts so far; last error: Connection refused)');
});
