import t from 'tap';
import { readApiSettings } from '../src/settings.js';

t.test('defaults', async (t) => {
  t.same(readApiSettings({}), {
    port: 9090,
    host: '0.0.0.0',
    redisUrl: 'redis://127.0.0.1:6379',
    redisTimeoutMs: 1000,
    routeTtlSeconds: 30,
    allowedStreams: ['golive'],
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
  });
  t.same(settings, {
    port: 9191,
    host: '127.0.0.1',
    redisUrl: 'rediss://redis.internal:6380/2',
    redisTimeoutMs: 250,
    routeTtlSeconds: 5,
    allowedStreams: ['golive', 'other_one'],
  });
  t.same(readApiSettings({ ALLOWED_STREAMS: '*' }).allowedStreams, ['*']);
});

t.test('invalid values name the variable and the value', async (t) => {
  t.throws(() => readApiSettings({ API_PORT: 'http' }), { code: 'LIVE_ERR_SETTING', message: /API_PORT="http"/ });
  t.throws(() => readApiSettings({ ROUTE_TTL_SECONDS: '0' }), { message: /ROUTE_TTL_SECONDS="0"/ });
  t.throws(() => readApiSettings({ REDIS_TIMEOUT_MS: '1.5' }), { message: /REDIS_TIMEOUT_MS="1.5"/ });
  t.throws(() => readApiSettings({ REDIS_URL: 'http://127.0.0.1:6379' }), { message: /REDIS_URL="http:\/\/127.0.0.1:6379"/ });
  t.throws(() => readApiSettings({ ALLOWED_STREAMS: 'golive,bad name' }), { message: /ALLOWED_STREAMS="golive,bad name"/ });
  t.throws(() => readApiSettings({ ALLOWED_STREAMS: ',' }), { message: /ALLOWED_STREAMS/ });
});

t.test('a password in REDIS_URL never appears in the error', async (t) => {
  const error = t.throws(() => readApiSettings({ REDIS_URL: 'ftp://user:hunter2@host' })) as Error;
  t.notMatch(error.message, /hunter2/);
  t.match(error.message, /REDIS_URL="ftp:\/\/\[redacted\]@host"/);
});
