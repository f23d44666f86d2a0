import t from 'tap';
import { samplesOf, sumOf } from '../../test-support/prometheus-text.js';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

t.test('GET /metrics on the internal listener: requests by route pattern and status, auth failures, Redis errors', async (t) => {
  const { app, internalApp, internal, redis } = await startTestApi(t);
  const scrape = async () => {
    const response = await internalApp.inject('/metrics');
    t.equal(response.statusCode, 200, 'without INTERNAL_TOKEN');
    return response.body;
  };
  t.equal((await app.inject('/metrics')).statusCode, 404, 'not on the public listener');

  const user = await createUser(app, 'alice');
  const stream = await createStream(app, user.token);
  t.equal((await call(app, user.token, 'GET', `/v1/streams/${stream.id}`)).statusCode, 200);
  t.equal((await call(app, user.token, 'GET', '/v1/streams/zzzzzzzz')).statusCode, 404);
  t.equal((await call(app, undefined, 'GET', '/v1/streams')).statusCode, 401);
  t.equal((await call(app, 'lsk_not_a_token', 'GET', '/v1/streams')).statusCode, 401);
  t.equal((await call(app, user.token, 'GET', '/v1/users')).statusCode, 403, 'admin only');
  t.equal((await internalApp.inject('/streams/golive')).statusCode, 401, 'no INTERNAL_TOKEN');
  t.equal((await internalApp.inject({ url: '/streams/golive', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  t.equal((await internal.inject('/authorize?name=publish_nosuch_secret&app=stream')).statusCode, 403);
  t.equal((await app.inject(`/nowhere/${stream.rtmpKey}`)).statusCode, 404);

  const text = await scrape();
  const requests = (labels: Record<string, string>) => sumOf(text, 'api_requests_total', labels);
  t.equal(requests({ listener: 'public', method: 'GET', route: '/v1/streams/:id', status: '200' }), 1);
  t.equal(requests({ listener: 'public', method: 'GET', route: '/v1/streams/:id', status: '404' }), 1);
  t.equal(requests({ listener: 'public', method: 'GET', route: '/v1/streams', status: '401' }), 2);
  t.equal(requests({ listener: 'public', method: 'POST', route: '/v1/streams', status: '201' }), 1);
  t.equal(requests({ listener: 'public', route: 'unmatched', status: '404' }), 2, 'unknown paths (/metrics here too) are one label, whatever they were');
  t.equal(requests({ listener: 'internal', route: '/streams/:name', status: '401' }), 2);
  t.equal(requests({ listener: 'internal', route: '/authorize', status: '403' }), 1);
  t.equal(sumOf(text, 'api_request_duration_seconds_count', { listener: 'public', route: '/v1/streams/:id', status: '200' }), 1);
  const routes = new Set(samplesOf(text, 'api_requests_total').map((sample) => sample.labels.route));
  for (const route of routes) {
    t.notMatch(route, stream.id, `${route}: a pattern, not the path asked for`);
    t.notMatch(route, stream.rtmpKey, 'never a stream key');
  }

  const auth = (labels: Record<string, string>) => sumOf(text, 'api_auth_failures_total', labels);
  t.equal(auth({ listener: 'public', kind: 'api_token_missing' }), 1);
  t.equal(auth({ listener: 'public', kind: 'api_token_invalid' }), 1);
  t.equal(auth({ listener: 'public', kind: 'forbidden' }), 1);
  t.equal(auth({ listener: 'internal', kind: 'internal_token_missing' }), 1);
  t.equal(auth({ listener: 'internal', kind: 'internal_token_invalid' }), 1);
  t.equal(auth({ listener: 'internal', kind: 'stream_key_denied' }), 1);
  t.equal(sumOf(text, 'api_redis_up'), 1);
  t.equal(sumOf(text, 'api_redis_errors_total'), 0);

  await redis.stop();
  await waitFor('the client to see Redis gone', () => app.redis.status !== 'ready', { timeoutMs: 60_000 });
  t.equal((await call(app, user.token, 'GET', '/v1/streams')).statusCode, 503);
  // The client tries to reconnect at least once a second; each refused attempt is an error.
  const down = await waitFor('a failed reconnection counted', async () => {
    const scraped = await scrape();
    return sumOf(scraped, 'api_redis_errors_total', { kind: 'connection' }) >= 1 && scraped;
  });
  t.equal(sumOf(down, 'api_redis_errors_total', { kind: 'request' }), 1, 'the request that failed on Redis');
  t.equal(sumOf(down, 'api_redis_up'), 0);
  t.equal(sumOf(down, 'api_requests_total', { listener: 'public', route: '/v1/streams', status: '503' }), 1);
});
