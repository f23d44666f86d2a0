import t from 'tap';
import { startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/wait-for.js';
import { buildApp } from '../src/app.js';
import { startTestApi } from './fixtures/test-api.js';

const report = { name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080' };

t.test('Redis down: 503 LIVE_ERR_STORE_UNAVAILABLE at once; back up: the same app recovers', async (t) => {
  const { app, redis } = await startTestApi(t, { redisTimeoutMs: 500 });
  t.equal((await app.inject({ method: 'POST', url: '/streams', payload: report })).statusCode, 200);

  await redis.stop();

  const requests = {
    health: () => app.inject('/health'),
    lookup: () => app.inject('/streams/golive'),
    report: () => app.inject({ method: 'POST', url: '/streams', payload: report }),
    withdraw: () => app.inject({ method: 'DELETE', url: '/streams/golive' }),
  };
  for (const [label, send] of Object.entries(requests)) {
    const started = Date.now();
    const response = await send();
    const elapsed = Date.now() - started;
    t.equal(response.statusCode, 503, label);
    t.equal(response.json().error.code, 'LIVE_ERR_STORE_UNAVAILABLE', label);
    t.match(response.json().error.message, /^route store \(Redis\) is unavailable: /, label);
    t.ok(elapsed < 1500, `${label} answered in ${elapsed} ms`);
  }
  const authorize = await app.inject('/authorize?name=golive');
  t.equal(authorize.statusCode, 200, 'authorize does not depend on Redis');

  await redis.restart();
  const recoveredAfter = Date.now();
  await waitFor('the API to reach Redis again', async () => (await app.inject('/health')).statusCode === 200, {
    timeoutMs: 5_000,
  });
  t.ok(Date.now() - recoveredAfter < 3000, `recovered in ${Date.now() - recoveredAfter} ms`);

  const lookup = await app.inject('/streams/golive');
  t.equal(lookup.statusCode, 200, 'the route survived the restart (AOF)');
  t.equal(lookup.json().host, '127.0.0.1:8080');
  t.equal((await app.inject({ method: 'POST', url: '/streams', payload: report })).statusCode, 200);
});

t.test('the app starts while Redis is down and connects once it is up', async (t) => {
  const redis = await startRedisServer();
  await redis.stop();
  const app = buildApp({ redisUrl: redis.url, redisTimeoutMs: 200, routeTtlSeconds: 30, allowedStreams: ['golive'] });
  t.teardown(async () => {
    await app.close();
    await redis.remove();
  });
  await app.ready();
  t.equal((await app.inject('/health')).statusCode, 503);

  await redis.restart();
  await waitFor('the API to connect', async () => (await app.inject('/health')).statusCode === 200, { timeoutMs: 5_000 });
  t.pass('connected after start-up');
});
