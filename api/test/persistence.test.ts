import t from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import type { App } from '../src/app.js';
import { call, createStream, createUser, streamKeysOf } from './fixtures/api-client.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi } from './fixtures/test-api.js';

/** Everything a user can read back: it must survive restarts unchanged. */
async function snapshot(app: App, token: string, streamId: string) {
  return {
    users: (await call(app, ADMIN_TOKEN, 'GET', '/v1/users')).json(),
    tokens: (await call(app, token, 'GET', '/v1/tokens')).json(),
    streams: (await call(app, token, 'GET', '/v1/streams')).json(),
    keys: await streamKeysOf(app, token, streamId),
  };
}

t.test('nothing durable is lost when the API or redis-server restarts', async (t) => {
  const { app, redis, close } = await startTestApi(t);
  const user = await createUser(app, 'alice');
  const stream = await createStream(app, user.token);
  const before = await snapshot(app, user.token, stream.id);

  t.test('durable keys have no TTL', async (t) => {
    for (const key of [
      'users',
      `user:${user.id}`,
      `user:${user.id}:tokens`,
      `user:${user.id}:streams`,
      `token:${user.token.split('_')[1]}`,
      `stream:${stream.id}`,
      `stream:${stream.id}:keys`,
    ]) {
      t.equal(await app.redis.ttl(key), -1, key);
    }
  });

  t.test('a new API instance on the same Redis', async (t) => {
    await close();
    const restarted = await buildTestApp(t, redis.url);
    t.same(await snapshot(restarted.app, user.token, stream.id), before);
    t.equal((await restarted.internal.inject(`/authorize?name=${stream.rtmpKey}&session_id=after-api-restart`)).statusCode, 200);
    await restarted.internal.inject({ method: 'DELETE', url: `/ingests/o/publishes/after-api-restart?stream=${stream.id}` });
  });

  t.test('redis-server restarts (AOF reload)', async (t) => {
    const { app: api, internal } = await buildTestApp(t, redis.url);
    await redis.stop();
    t.equal((await call(api, user.token, 'GET', '/v1/streams')).statusCode, 503, 'unavailable while it is down');
    await redis.restart();
    await waitFor('the API to reach Redis again', async () => (await api.inject('/health')).statusCode === 200, {
      timeoutMs: 30_000,
    });
    t.same(await snapshot(api, user.token, stream.id), before);
    t.equal((await internal.inject(`/authorize?name=${stream.rtmpKey}&session_id=after-redis-restart`)).statusCode, 200);

    // Scripts are reloaded into the restarted server's empty script cache on first use.
    const another = await createStream(api, user.token, 'After restart');
    t.match(another.rtmpKey, /^publish_/);
    const reset = await call(api, user.token, 'POST', `/v1/streams/${another.id}/stream-keys/reset`, { protocol: 'rtmp' });
    t.equal(reset.statusCode, 200);
  });
});
