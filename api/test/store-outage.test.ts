import t from 'tap';
import { startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi } from './fixtures/test-api.js';

const report = { name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080' };

/** How long a request may take here before it counts as waiting for Redis: far below the timeout. */
const WAITING_MS = 10_000;

const VIDEO_UID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const videoReport = (stream: string) => ({
  stream,
  origin_id: 'o1',
  origin_host: '127.0.0.1:8080',
  state: 'live-inprogress',
  created: '2026-01-01T00:00:00.000Z',
  ended: null,
  duration_s: 1,
  size_bytes: 1,
  width: null,
  height: null,
});

t.test('Redis down: 503 LIVE_ERR_STORE_UNAVAILABLE at once; back up: the same app recovers', async (t) => {
  // A command timeout no test waits for: a request that waited on Redis instead of failing at
  // once would still be pending after WAITING_MS.
  const { app, internal, redis } = await startTestApi(t, { redisTimeoutMs: 6 * WAITING_MS, allowedStreams: ['golive'] });
  t.equal((await internal.inject({ method: 'POST', url: '/streams', payload: report })).statusCode, 200);
  const user = await createUser(app, 'alice');
  const stream = await createStream(app, user.token);

  await redis.stop();
  await waitFor('the client to see Redis gone', () => app.redis.status !== 'ready', { timeoutMs: 60_000 });

  const heartbeat = {
    name: 'Origin',
    region: 'eu',
    priority: 1,
    url_templates: { rtmp: 'rtmp://h/stream/{stream_key}' },
    load: { streams: 0, bandwidth_bps: 0 },
    publishes: [],
  };
  const requests = {
    health: () => app.inject('/health'),
    lookup: () => internal.inject('/streams/golive'),
    report: () => internal.inject({ method: 'POST', url: '/streams', payload: report }),
    withdraw: () => internal.inject({ method: 'DELETE', url: '/streams/golive' }),
    'authorize open name': () => internal.inject('/authorize?name=golive'),
    'authorize key': () => internal.inject(`/authorize?name=${stream.rtmpKey}`),
    heartbeat: () => internal.inject({ method: 'PUT', url: '/ingests/o1', payload: heartbeat }),
    'publisher left': () => internal.inject({ method: 'DELETE', url: `/ingests/o1/publishes/s1?stream=${stream.id}` }),
    'origin left': () => internal.inject({ method: 'DELETE', url: '/ingests/o1' }),
    'user token': () => call(app, user.token, 'GET', '/v1/streams'),
    'admin lists users': () => call(app, ADMIN_TOKEN, 'GET', '/v1/users'),
    'admin creates a user': () => call(app, ADMIN_TOKEN, 'POST', '/v1/users', { name: 'x' }),
    "admin views a user's storage": () => call(app, ADMIN_TOKEN, 'GET', `/v1/users/${user.id}`),
    "admin sets a user's quota": () => call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${user.id}`, { storage: { quotaBytes: 1 } }),
    "admin's own storage": () => call(app, ADMIN_TOKEN, 'GET', '/v1/me'),
    'admin creates a stream': () => call(app, ADMIN_TOKEN, 'POST', '/v1/streams', { name: 'x' }),
    'admin lists ingests': () => call(app, ADMIN_TOKEN, 'GET', '/v1/ingests?protocol=rtmp'),
    'edge sightings': () => internal.inject({ method: 'POST', url: '/views', payload: { streams: { golive: ['session-0001'] } } }),
    'live viewers': () => internal.inject('/streams/golive/views'),
    'owner view counts': () => call(app, user.token, 'GET', `/v1/streams/${stream.id}/views`),
    'video report': () => internal.inject({ method: 'PUT', url: `/internal/videos/${VIDEO_UID}`, payload: videoReport(stream.id) }),
    'video lookup': () => internal.inject(`/internal/videos/${VIDEO_UID}`),
    'video withdrawn': () => internal.inject({ method: 'DELETE', url: `/internal/videos/${VIDEO_UID}?origin_id=o1` }),
    // The admin token needs no Redis, so these reach the video routes themselves.
    'admin lists videos': () => call(app, ADMIN_TOKEN, 'GET', `/v1/streams/${stream.id}/videos`),
    'admin reads a video': () => call(app, ADMIN_TOKEN, 'GET', `/v1/videos/${VIDEO_UID}`),
    'admin deletes a video': () => call(app, ADMIN_TOKEN, 'DELETE', `/v1/videos/${VIDEO_UID}`),
  };
  for (const [label, send] of Object.entries(requests)) {
    let timer: NodeJS.Timeout | undefined;
    const waiting = new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), WAITING_MS)));
    const response = await Promise.race([send(), waiting]);
    clearTimeout(timer);
    if (response === 'waiting') {
      t.fail(`${label} waits for Redis instead of answering 503 at once`);
      continue;
    }
    t.equal(response.statusCode, 503, label);
    t.equal(response.json().error.code, 'LIVE_ERR_STORE_UNAVAILABLE', label);
    t.match(response.json().error.message, /^store \(Redis\) is unavailable: /, label);
    t.notMatch(response.json().error.message, /timed? ?out/i, `${label}: refused at once, not after a timeout`);
  }
  const noToken = await call(app, undefined, 'GET', '/v1/streams');
  t.equal(noToken.statusCode, 401, 'a request without a token is 401 whether or not Redis is up');

  // The client keeps reconnecting at most a second apart, so the API is back about a second
  // after Redis is: checked on the configured backoff rather than with a stopwatch.
  const retryStrategy = app.redis.options.retryStrategy;
  t.same([1, 5, 10, 50, 1000].map((attempt) => retryStrategy?.(attempt)), [100, 500, 1000, 1000, 1000], 'reconnect backoff capped at 1 s');
  await redis.restart();
  await waitFor('the API to reach Redis again', async () => (await app.inject('/health')).statusCode === 200, {
    timeoutMs: 30_000,
  });

  const lookup = await internal.inject('/streams/golive');
  t.equal(lookup.statusCode, 200, 'the route survived the restart (AOF)');
  t.equal(lookup.json().host, '127.0.0.1:8080');
  t.equal((await internal.inject({ method: 'POST', url: '/streams', payload: report })).statusCode, 200);
});

t.test('the app starts while Redis is down and connects once it is up', async (t) => {
  const redis = await startRedisServer();
  await redis.stop();
  const { app } = await buildTestApp(t, redis.url, { redisTimeoutMs: 200 }, { redisDown: true });
  t.teardown(() => redis.remove());
  t.equal((await app.inject('/health')).statusCode, 503);

  await redis.restart();
  await waitFor('the API to connect', async () => (await app.inject('/health')).statusCode === 200, { timeoutMs: 60_000 });
  t.pass('connected after start-up');
});
