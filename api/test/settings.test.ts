import path from 'node:path';
import t from 'tap';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { readApiSettings } from '../src/settings.js';
import type { Env } from '../../service-kit/src/env-settings.js';

/** The settings with the one required variable set. */
const read = (env: Env) => readApiSettings({ INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, ...env });

t.test('defaults', async (t) => {
  t.same(read({}), {
    port: 9090,
    host: '0.0.0.0',
    internalPort: 9091,
    internalHost: '127.0.0.1',
    internalToken: TEST_INTERNAL_TOKEN,
    redisUrl: 'redis://127.0.0.1:6379',
    redisTimeoutMs: 1000,
    routeTtlSeconds: 30,
    allowedStreams: [],
    recordOpenNames: false,
    adminToken: undefined,
    publicPlaybackUrl: 'http://localhost:8081',
    publicSrtUrl: undefined,
    ingestWebSocketUrl: 'ws://localhost:8080/ingest/ws?stream_key={stream_key}',
    dashboardPath: path.resolve('dist/dashboard'),
    publishLeaseSeconds: 3,
    ingestTtlSeconds: 5,
    allowPrivateTargets: false,
    platformIngestUrls: {
      twitch: 'rtmp://live.twitch.tv/app',
      youtube: 'rtmp://a.rtmp.youtube.com/live2',
      kick: 'rtmps://fa723fc1b171.global-contribute.live-video.net/app',
      facebook: 'rtmps://live-api-s.facebook.com:443/rtmp',
    },
    restreamMaxTargets: 10,
    maxStreamsPerUser: 100,
    maxTokensPerUser: 20,
    restreamStatusTtlSeconds: 30,
    pullLeaseSeconds: 6,
    videoTombstoneSeconds: 604_800,
    videoReportTimeoutSeconds: 300,
    recordingQuotaBytes: 100 * 1024 ** 3,
    fallbackPath: path.resolve('.run/fallback'),
    fallbackMaxBytes: 104_857_600,
    fallbackMaxDurationSeconds: 600,
    fallbackKeyframeSeconds: 2,
    fallbackConvertTimeoutSeconds: 300,
    fallbackMaxConversions: 2,
    fallbackMaxResolution: { width: 1920, height: 1080 },
    fallbackUploadIdleSeconds: 30,
    fallbackUploadTimeoutSeconds: 900,
    fallbackMaxUploads: 10,
    fallbackMaxUploadsPerUser: 2,
    fallbackMaxBytesPerUser: 1_073_741_824,
    playbackSigningKey: undefined,
    viewerIdleSeconds: 30,
    abrLadderBounds: { maxRenditions: 3, maxHeight: 1080, maxBitrateBps: 6_000_000 },
  });
});

t.test('reads every variable', async (t) => {
  const settings = read({
    API_PORT: '9191',
    API_HOST: '127.0.0.1',
    API_INTERNAL_PORT: '9192',
    API_INTERNAL_HOST: '10.0.0.4',
    REDIS_URL: 'rediss://redis.internal:6380/2',
    REDIS_TIMEOUT_MS: '250',
    ROUTE_TTL_SECONDS: '5',
    ALLOWED_STREAMS: ' golive, other_one ,',
    RECORD_OPEN_NAMES: 'true',
    ADMIN_TOKEN: 'adm_0123456789abcdef',
    PUBLIC_PLAYBACK_URL: 'https://video-edge.example/',
    PUBLIC_SRT_URL: 'srt://fsn1.ingest.example:1337',
    INGEST_WEBSOCKET_URL: 'wss://live.example:8443/ingest/ws?stream_key={stream_key}',
    DASHBOARD_PATH: '/srv/livestack/dashboard',
    PUBLISH_LEASE_SECONDS: '3',
    INGEST_TTL_SECONDS: '20',
    ALLOW_PRIVATE_TARGETS: '1',
    TWITCH_INGEST_URL: 'rtmp://fra05.contribute.live-video.net/app',
    YOUTUBE_INGEST_URL: 'rtmps://a.rtmps.youtube.com:443/live2',
    KICK_INGEST_URL: 'rtmps://kick.example/app',
    FACEBOOK_INGEST_URL: 'rtmps://facebook.example:443/rtmp',
    RESTREAM_MAX_TARGETS: '3',
    RESTREAM_STATUS_TTL_SECONDS: '15',
    PULL_LEASE_SECONDS: '9',
    VIDEO_TOMBSTONE_SECONDS: '86400',
    VIDEO_REPORT_TIMEOUT_SECONDS: '120',
    RECORDING_QUOTA_BYTES: '5000000000',
    FALLBACK_PATH: '/var/lib/livestack/fallback',
    FALLBACK_MAX_BYTES: '1048576',
    FALLBACK_MAX_DURATION_SECONDS: '60',
    FALLBACK_KEYFRAME_SECONDS: '4',
    FALLBACK_CONVERT_TIMEOUT_SECONDS: '30',
    FALLBACK_MAX_CONVERSIONS: '1',
    FALLBACK_MAX_RESOLUTION: '1280x720',
    FALLBACK_UPLOAD_IDLE_SECONDS: '10',
    FALLBACK_UPLOAD_TIMEOUT_SECONDS: '120',
    FALLBACK_MAX_UPLOADS: '4',
    FALLBACK_MAX_UPLOADS_PER_USER: '1',
    FALLBACK_MAX_BYTES_PER_USER: '5000000',
    MAX_STREAMS_PER_USER: '7',
    MAX_TOKENS_PER_USER: '3',
    PLAYBACK_SIGNING_KEY: 'playback-signing-key-0123456789abcdef',
    VIEWER_IDLE_SECONDS: '45',
    ABR_MAX_RENDITIONS: '4',
    ABR_MAX_HEIGHT: '1440',
    ABR_MAX_BITRATE_KBPS: '8000',
  });
  t.same(settings, {
    port: 9191,
    host: '127.0.0.1',
    internalPort: 9192,
    internalHost: '10.0.0.4',
    internalToken: TEST_INTERNAL_TOKEN,
    redisUrl: 'rediss://redis.internal:6380/2',
    redisTimeoutMs: 250,
    routeTtlSeconds: 5,
    allowedStreams: ['golive', 'other_one'],
    recordOpenNames: true,
    adminToken: 'adm_0123456789abcdef',
    publicPlaybackUrl: 'https://video-edge.example',
    publicSrtUrl: 'srt://fsn1.ingest.example:1337',
    ingestWebSocketUrl: 'wss://live.example:8443/ingest/ws?stream_key={stream_key}',
    dashboardPath: '/srv/livestack/dashboard',
    publishLeaseSeconds: 3,
    ingestTtlSeconds: 20,
    allowPrivateTargets: true,
    platformIngestUrls: {
      twitch: 'rtmp://fra05.contribute.live-video.net/app',
      youtube: 'rtmps://a.rtmps.youtube.com:443/live2',
      kick: 'rtmps://kick.example/app',
      facebook: 'rtmps://facebook.example:443/rtmp',
    },
    restreamMaxTargets: 3,
    maxStreamsPerUser: 7,
    maxTokensPerUser: 3,
    restreamStatusTtlSeconds: 15,
    pullLeaseSeconds: 9,
    videoTombstoneSeconds: 86_400,
    videoReportTimeoutSeconds: 120,
    recordingQuotaBytes: 5_000_000_000,
    fallbackPath: '/var/lib/livestack/fallback',
    fallbackMaxBytes: 1_048_576,
    fallbackMaxDurationSeconds: 60,
    fallbackKeyframeSeconds: 4,
    fallbackConvertTimeoutSeconds: 30,
    fallbackMaxConversions: 1,
    fallbackMaxResolution: { width: 1280, height: 720 },
    fallbackUploadIdleSeconds: 10,
    fallbackUploadTimeoutSeconds: 120,
    fallbackMaxUploads: 4,
    fallbackMaxUploadsPerUser: 1,
    fallbackMaxBytesPerUser: 5_000_000,
    playbackSigningKey: 'playback-signing-key-0123456789abcdef',
    viewerIdleSeconds: 45,
    abrLadderBounds: { maxRenditions: 4, maxHeight: 1440, maxBitrateBps: 8_000_000 },
  });
  t.same(read({ ALLOWED_STREAMS: '*' }).allowedStreams, ['*']);
  t.same(read({ ALLOWED_STREAMS: ',' }).allowedStreams, [], 'empty: managed keys only');
});

t.test('invalid values name the variable and the value', async (t) => {
  t.throws(() => read({ API_PORT: 'http' }), { code: 'LIVE_ERR_SETTING', message: /API_PORT="http"/ });
  t.throws(() => read({ ROUTE_TTL_SECONDS: '0' }), { message: /ROUTE_TTL_SECONDS="0"/ });
  t.throws(() => read({ REDIS_TIMEOUT_MS: '1.5' }), { message: /REDIS_TIMEOUT_MS="1.5"/ });
  t.throws(() => read({ REDIS_URL: 'http://127.0.0.1:6379' }), { message: /REDIS_URL="http:\/\/127.0.0.1:6379"/ });
  t.throws(() => read({ ALLOWED_STREAMS: 'golive,bad name' }), { message: /ALLOWED_STREAMS="golive,bad name"/ });
  t.throws(() => read({ ALLOWED_STREAMS: 'publish_mine' }), { message: /ALLOWED_STREAMS="publish_mine"/ });
  t.throws(() => read({ ALLOWED_STREAMS: 'abcd1234' }), { message: /shaped like a stream id/ });
  t.throws(() => read({ PUBLIC_PLAYBACK_URL: 'edge:8081' }), { message: /PUBLIC_PLAYBACK_URL="edge:8081"/ });
  t.throws(() => read({ INGEST_WEBSOCKET_URL: 'https://live.example/ingest/ws?stream_key={stream_key}' }), { message: /INGEST_WEBSOCKET_URL=.*ws:\/\/ or wss:\/\//s });
  t.throws(() => read({ INGEST_WEBSOCKET_URL: 'wss://live.example/ingest/ws' }), { message: /\{stream_key\}/ });
  for (const srt of ['http://h:1', 'srt://h', 'srt://h:1/path', 'srt://h:1?streamid=x']) {
    t.throws(() => read({ PUBLIC_SRT_URL: srt }), { message: /PUBLIC_SRT_URL=.*expected srt:\/\/host:port/ }, srt);
  }
  t.throws(() => read({ PUBLISH_LEASE_SECONDS: '0' }), { message: /PUBLISH_LEASE_SECONDS="0"/ });
  t.throws(() => read({ INGEST_TTL_SECONDS: 'x' }), { message: /INGEST_TTL_SECONDS="x"/ });
  t.throws(() => read({ ALLOW_PRIVATE_TARGETS: 'maybe' }), { message: /ALLOW_PRIVATE_TARGETS="maybe"/ });
  t.throws(() => read({ TWITCH_INGEST_URL: 'http://live.twitch.tv/app' }), {
    message: /^setting TWITCH_INGEST_URL="http:\/\/live.twitch.tv\/…" is invalid: expected an rtmp:\/\/ or rtmps:\/\/ URL/,
  });
  t.throws(() => read({ YOUTUBE_INGEST_URL: 'rtmp://a.rtmp.youtube.com' }), { message: /YOUTUBE_INGEST_URL=.*application path/ });
  const withPassword = t.throws(() => read({ KICK_INGEST_URL: 'rtmps://user:hunter2@kick.example/app' })) as Error;
  t.notMatch(withPassword.message, /hunter2/, 'a password in an ingest URL is never echoed');
  t.throws(() => read({ RESTREAM_MAX_TARGETS: '0' }), { message: /RESTREAM_MAX_TARGETS="0"/ });
  t.throws(() => read({ RESTREAM_STATUS_TTL_SECONDS: '0' }), { message: /RESTREAM_STATUS_TTL_SECONDS="0"/ });
  t.throws(() => read({ PULL_LEASE_SECONDS: '1' }), { message: /PULL_LEASE_SECONDS="1"/ });
  t.throws(() => read({ VIDEO_TOMBSTONE_SECONDS: '59' }), { message: /VIDEO_TOMBSTONE_SECONDS="59"/ });
  t.throws(() => read({ VIDEO_REPORT_TIMEOUT_SECONDS: '1' }), { message: /VIDEO_REPORT_TIMEOUT_SECONDS="1"/ });
  t.throws(() => read({ RECORDING_QUOTA_BYTES: '-1' }), { message: /RECORDING_QUOTA_BYTES="-1"/ });
  t.throws(() => read({ FALLBACK_MAX_BYTES: '100MB' }), { message: /FALLBACK_MAX_BYTES="100MB"/ });
  t.throws(() => read({ FALLBACK_MAX_DURATION_SECONDS: '0' }), { message: /FALLBACK_MAX_DURATION_SECONDS="0"/ });
  t.throws(() => read({ FALLBACK_KEYFRAME_SECONDS: '0.5' }), { message: /FALLBACK_KEYFRAME_SECONDS="0.5"/ });
  t.throws(() => read({ FALLBACK_CONVERT_TIMEOUT_SECONDS: '-1' }), { message: /FALLBACK_CONVERT_TIMEOUT_SECONDS="-1"/ });
  t.throws(() => read({ FALLBACK_MAX_CONVERSIONS: '0' }), { message: /FALLBACK_MAX_CONVERSIONS="0"/ });
  t.throws(() => read({ VIEWER_IDLE_SECONDS: '1' }), { message: /VIEWER_IDLE_SECONDS="1"/ });
  for (const resolution of ['1920', '1920x', '1921x1080', '1920X1080', '8194x4320', '8x8', ' x ']) {
    t.throws(() => read({ FALLBACK_MAX_RESOLUTION: resolution }), {
      message: /^setting FALLBACK_MAX_RESOLUTION=".*" is invalid: expected WIDTHxHEIGHT, each an even number of pixels from 16 to 8192/,
    }, resolution);
  }
  t.throws(() => read({ FALLBACK_UPLOAD_IDLE_SECONDS: '0' }), { message: /FALLBACK_UPLOAD_IDLE_SECONDS="0"/ });
  t.throws(() => read({ FALLBACK_UPLOAD_TIMEOUT_SECONDS: '1.5' }), { message: /FALLBACK_UPLOAD_TIMEOUT_SECONDS="1.5"/ });
  t.throws(() => read({ FALLBACK_MAX_UPLOADS: '0' }), { message: /FALLBACK_MAX_UPLOADS="0"/ });
  t.throws(() => read({ FALLBACK_MAX_UPLOADS_PER_USER: 'many' }), { message: /FALLBACK_MAX_UPLOADS_PER_USER="many"/ });
  t.throws(() => read({ FALLBACK_MAX_BYTES_PER_USER: '1GB' }), { message: /FALLBACK_MAX_BYTES_PER_USER="1GB"/ });
  t.throws(() => read({ MAX_STREAMS_PER_USER: '0' }), { message: /MAX_STREAMS_PER_USER="0"/ });
  t.throws(() => read({ MAX_TOKENS_PER_USER: '-1' }), { message: /MAX_TOKENS_PER_USER="-1"/ });
});

t.test('an invalid PLAYBACK_SIGNING_KEY is named but never echoed', async (t) => {
  for (const key of ['only-31-characters-long-0123456', 'has a space in it but is long enough to pass']) {
    const error = t.throws(() => read({ PLAYBACK_SIGNING_KEY: key })) as Error;
    t.match(error.message, /^setting PLAYBACK_SIGNING_KEY="\[redacted\]" is invalid: expected 32-512 printable ASCII/);
    t.notMatch(error.message, key);
  }
  t.equal(read({ PLAYBACK_SIGNING_KEY: 'x'.repeat(32) }).playbackSigningKey, 'x'.repeat(32), '32 characters are enough');
});

t.test('an invalid ADMIN_TOKEN is named but never echoed', async (t) => {
  for (const token of ['short-secret', 'has a space in it, long enough']) {
    const error = t.throws(() => read({ ADMIN_TOKEN: token })) as Error;
    t.match(error.message, /^setting ADMIN_TOKEN="\[redacted\]" is invalid: expected 16-256 printable ASCII/);
    t.notMatch(error.message, token);
  }
});

t.test('ADMIN_TOKEN_PREVIOUS: the old admin token during a rotation, checked like ADMIN_TOKEN', async (t) => {
  const settings = read({ ADMIN_TOKEN: 'adm_new-admin-token-0123', ADMIN_TOKEN_PREVIOUS: 'adm_old-admin-token-0123' });
  t.same([settings.adminToken, settings.previousAdminToken], ['adm_new-admin-token-0123', 'adm_old-admin-token-0123']);
  t.equal(read({ ADMIN_TOKEN: 'adm_new-admin-token-0123' }).previousAdminToken, undefined, 'unset outside a rotation');
  const alone = t.throws(() => read({ ADMIN_TOKEN_PREVIOUS: 'adm_old-admin-token-0123' })) as Error;
  t.match(alone.message, /ADMIN_TOKEN_PREVIOUS="\[redacted\]" is invalid: expected unset while ADMIN_TOKEN is unset/);
  const invalid = t.throws(() => read({ ADMIN_TOKEN: 'adm_new-admin-token-0123', ADMIN_TOKEN_PREVIOUS: 'short' })) as Error;
  t.match(invalid.message, /ADMIN_TOKEN_PREVIOUS="\[redacted\]" is invalid: expected 16-256 printable ASCII/);
  const sameAsInternal = t.throws(() => read({ ADMIN_TOKEN: 'adm_new-admin-token-0123', ADMIN_TOKEN_PREVIOUS: TEST_INTERNAL_TOKEN })) as Error;
  t.match(sameAsInternal.message, /INTERNAL_TOKEN="\[redacted\]" is invalid: expected a secret other than ADMIN_TOKEN and ADMIN_TOKEN_PREVIOUS/);
});

t.test('a password in REDIS_URL never appears in the error', async (t) => {
  const error = t.throws(() => read({ REDIS_URL: 'ftp://user:hunter2@host' })) as Error;
  t.notMatch(error.message, /hunter2/);
  t.match(error.message, /REDIS_URL="ftp:\/\/\[redacted\]@host"/);
});

t.test('INTERNAL_TOKEN is required, checked and never echoed; it is neither ADMIN_TOKEN nor on API_PORT', async (t) => {
  t.throws(() => readApiSettings({}), { message: /^setting INTERNAL_TOKEN="" is invalid: expected 32-256 of A-Z a-z 0-9/ }, 'unset');
  for (const token of ['only-31-characters-long-0123456', 'has a space in it but is long enough to pass', `${'x'.repeat(40)}&name=`]) {
    const error = t.throws(() => readApiSettings({ INTERNAL_TOKEN: token })) as Error;
    t.match(error.message, /^setting INTERNAL_TOKEN="\[redacted\]" is invalid/);
    t.notMatch(error.message, token);
  }
  t.equal(read({ INTERNAL_TOKEN: 'a'.repeat(32) }).internalToken, 'a'.repeat(32), '32 characters are enough');
  const same = t.throws(() => read({ ADMIN_TOKEN: TEST_INTERNAL_TOKEN })) as Error;
  t.match(same.message, /^setting INTERNAL_TOKEN="\[redacted\]" is invalid: expected a secret other than ADMIN_TOKEN and ADMIN_TOKEN_PREVIOUS/);
  t.throws(() => read({ API_PORT: '9300', API_INTERNAL_PORT: '9300' }), { message: /API_INTERNAL_PORT="9300" is invalid: expected a port other than API_PORT/ });
  t.equal(read({ API_PORT: '0', API_INTERNAL_PORT: '0' }).internalPort, 0, 'port 0 picks a free port for each');
});

t.test("ABR ladder bounds: never below the default ladder (720p 2.5 Mb/s, 3 rungs), never past the ladder schema's", async (t) => {
  t.same(read({ ABR_MAX_RENDITIONS: '3', ABR_MAX_HEIGHT: '720', ABR_MAX_BITRATE_KBPS: '2500' }).abrLadderBounds, {
    maxRenditions: 3,
    maxHeight: 720,
    maxBitrateBps: 2_500_000,
  }, 'the default ladder exactly: accepted');
  t.same(read({ ABR_MAX_RENDITIONS: '4', ABR_MAX_HEIGHT: '2160', ABR_MAX_BITRATE_KBPS: '20000' }).abrLadderBounds, {
    maxRenditions: 4,
    maxHeight: 2160,
    maxBitrateBps: 20_000_000,
  }, "the schema's own limits: accepted");
  const refused: [string, string, RegExp][] = [
    ['ABR_MAX_RENDITIONS', '2', /^setting ABR_MAX_RENDITIONS="2" is invalid: expected an integer between 3 and 4/],
    ['ABR_MAX_RENDITIONS', '5', /ABR_MAX_RENDITIONS="5".*between 3 and 4/],
    ['ABR_MAX_HEIGHT', '718', /ABR_MAX_HEIGHT="718".*between 720 and 2160/],
    ['ABR_MAX_HEIGHT', '2162', /ABR_MAX_HEIGHT="2162".*between 720 and 2160/],
    ['ABR_MAX_HEIGHT', '1080p', /ABR_MAX_HEIGHT="1080p"/],
    ['ABR_MAX_BITRATE_KBPS', '2499', /ABR_MAX_BITRATE_KBPS="2499".*between 2500 and 20000/],
    ['ABR_MAX_BITRATE_KBPS', '20001', /ABR_MAX_BITRATE_KBPS="20001".*between 2500 and 20000/],
    ['ABR_MAX_BITRATE_KBPS', '6000.5', /ABR_MAX_BITRATE_KBPS="6000.5"/],
  ];
  for (const [name, value, message] of refused) t.throws(() => read({ [name]: value }), { code: 'LIVE_ERR_SETTING', message }, `${name}=${value}`);
});
