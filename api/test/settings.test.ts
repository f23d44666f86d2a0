import t from 'tap';
import { readApiSettings } from '../src/settings.js';

t.test('defaults', async (t) => {
  t.same(readApiSettings({}), {
    port: 9090,
    host: '0.0.0.0',
    redisUrl: 'redis://127.0.0.1:6379',
    redisTimeoutMs: 1000,
    routeTtlSeconds: 30,
    allowedStreams: [],
    adminToken: undefined,
    publicPlaybackUrl: 'http://localhost:8081',
    publicSrtUrl: undefined,
    publishLeaseSeconds: 5,
    ingestTtlSeconds: 10,
  });
});

t.test('reads every variable', async (t) => {
  const settings = readApiSettings({
    API_PORT: '9191',
    API_HOST: '127.0.0.1',
    REDIS_URL: 'rediss://redis.internal:6380/2',
    REDIS_TIMEOUT_MS: '250',
    ROUTE_TTL_SECONDS: '5',
    ALLOWED_STREAMS: ' golive, other_one ,',
    ADMIN_TOKEN: 'adm_0123456789abcdef',
    PUBLIC_PLAYBACK_URL: 'https://video-edge.example/',
    PUBLIC_SRT_URL: 'srt://fsn1.ingest.example:1337',
    PUBLISH_LEASE_SECONDS: '3',
    INGEST_TTL_SECONDS: '20',
  });
  t.same(settings, {
    port: 9191,
    host: '127.0.0.1',
    redisUrl: 'rediss://redis.internal:6380/2',
    redisTimeoutMs: 250,
    routeTtlSeconds: 5,
    allowedStreams: ['golive', 'other_one'],
    adminToken: 'adm_0123456789abcdef',
    publicPlaybackUrl: 'https://video-edge.example',
    publicSrtUrl: 'srt://fsn1.ingest.example:1337',
    publishLeaseSeconds: 3,
    ingestTtlSeconds: 20,
  });
  t.same(readApiSettings({ ALLOWED_STREAMS: '*' }).allowedStreams, ['*']);
  t.same(readApiSettings({ ALLOWED_STREAMS: ',' }).allowedStreams, [], 'empty: managed keys only');
});

t.test('invalid values name the variable and the value', async (t) => {
  t.throws(() => readApiSettings({ API_PORT: 'http' }), { code: 'LIVE_ERR_SETTING', message: /API_PORT="http"/ });
  t.throws(() => readApiSettings({ ROUTE_TTL_SECONDS: '0' }), { message: /ROUTE_TTL_SECONDS="0"/ });
  t.throws(() => readApiSettings({ REDIS_TIMEOUT_MS: '1.5' }), { message: /REDIS_TIMEOUT_MS="1.5"/ });
  t.throws(() => readApiSettings({ REDIS_URL: 'http://127.0.0.1:6379' }), { message: /REDIS_URL="http:\/\/127.0.0.1:6379"/ });
  t.throws(() => readApiSettings({ ALLOWED_STREAMS: 'golive,bad name' }), { message: /ALLOWED_STREAMS="golive,bad name"/ });
  t.throws(() => readApiSettings({ ALLOWED_STREAMS: 'publish_mine' }), { message: /ALLOWED_STREAMS="publish_mine"/ });
  t.throws(() => readApiSettings({ ALLOWED_STREAMS: 'abcd1234' }), { message: /shaped like a stream id/ });
  t.throws(() => readApiSettings({ PUBLIC_PLAYBACK_URL: 'edge:8081' }), { message: /PUBLIC_PLAYBACK_URL="edge:8081"/ });
  for (const srt of ['http://h:1', 'srt://h', 'srt://h:1/path', 'srt://h:1?streamid=x']) {
    t.throws(() => readApiSettings({ PUBLIC_SRT_URL: srt }), { message: /PUBLIC_SRT_URL=.*expected srt:\/\/host:port/ }, srt);
  }
  t.throws(() => readApiSettings({ PUBLISH_LEASE_SECONDS: '0' }), { message: /PUBLISH_LEASE_SECONDS="0"/ });
  t.throws(() => readApiSettings({ INGEST_TTL_SECONDS: 'x' }), { message: /INGEST_TTL_SECONDS="x"/ });
});

t.test('an invalid ADMIN_TOKEN is named but never echoed', async (t) => {
  for (const token of ['short-secret', 'has a space in it, long enough']) {
    const error = t.throws(() => readApiSettings({ ADMIN_TOKEN: token })) as Error;
    t.match(error.message, /^setting ADMIN_TOKEN="\[redacted\]" is invalid: expected 16-256 printable ASCII/);
    t.notMatch(error.message, token);
  }
});

t.test('a password in REDIS_URL never appears in the error', async (t) => {
  const error = t.throws(() => readApiSettings({ REDIS_URL: 'ftp://user:hunter2@host' })) as Error;
  t.notMatch(error.message, /hunter2/);
  t.match(error.message, /REDIS_URL="ftp:\/\/\[redacted\]@host"/);
});
