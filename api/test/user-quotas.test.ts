/**
 * What one user may hold: streams (MAX_STREAMS_PER_USER), API tokens (MAX_TOKENS_PER_USER) and
 * restream targets per stream (RESTREAM_MAX_TARGETS), on a real redis-server. Past a limit: 409
 * with a named code and a message naming the setting; deleting one frees a place; creations
 * racing at the limit, through two API instances, leave exactly the limit.
 */
import t from 'tap';
import type { App } from '../src/app.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi } from './fixtures/test-api.js';

/** `count` requests at once, alternating between two API instances; their status codes, sorted. */
async function raced(apps: [App, App], count: number, request: (app: App) => Promise<{ statusCode: number }>): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: count }, (_, index) => request(apps[index % 2]!)));
  return answers.map((answer) => answer.statusCode).sort();
}

const times = <T>(count: number, value: T) => Array.from({ length: count }, () => value);

t.test('MAX_STREAMS_PER_USER', async (t) => {
  const { app, redis } = await startTestApi(t, { maxStreamsPerUser: 3 });
  const alice = await createUser(app, 'alice');

  const streams = [];
  for (let i = 0; i < 3; i++) streams.push(await createStream(app, alice.token, `show ${i}`));
  const fourth = await call(app, alice.token, 'POST', '/v1/streams', { name: 'one too many' });
  t.equal(fourth.statusCode, 409);
  t.same(fourth.json().error, {
    code: 'LIVE_ERR_TOO_MANY_STREAMS',
    message: 'you already have 3 streams, the most MAX_STREAMS_PER_USER allows; delete one to create another',
  });
  t.equal((await call(app, alice.token, 'GET', '/v1/streams')).json().data.length, 3, 'nothing was created');

  t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${streams[0]!.id}`)).statusCode, 204);
  t.equal((await call(app, alice.token, 'POST', '/v1/streams', { name: 'in its place' })).statusCode, 201, 'deleting one frees a place');
  t.equal((await call(app, alice.token, 'POST', '/v1/streams', { name: 'again too many' })).statusCode, 409);

  const bob = await createUser(app, 'bob');
  t.equal((await call(app, bob.token, 'POST', '/v1/streams', { name: "bob's" })).statusCode, 201, 'per user: others are not affected');

  for (let i = 0; i < 5; i++) {
    t.equal((await call(app, ADMIN_TOKEN, 'POST', '/v1/streams', { name: `operator ${i}` })).statusCode, 201, 'the built-in admin is exempt');
  }

  t.test('ten creations at once through two API instances leave exactly the limit', async (t) => {
    const { app: second } = await buildTestApp(t, redis.url, { maxStreamsPerUser: 3 });
    const carol = await createUser(app, 'carol');
    const statuses = await raced([app, second], 10, (instance) => call(instance, carol.token, 'POST', '/v1/streams', { name: 'race' }));
    t.same(statuses, [...times(3, 201), ...times(7, 409)]);
    t.equal((await call(app, carol.token, 'GET', '/v1/streams')).json().data.length, 3);
  });
});

t.test('MAX_TOKENS_PER_USER', async (t) => {
  const { app, redis } = await startTestApi(t, { maxTokensPerUser: 2 });
  // createUser makes the user's first token.
  const alice = await createUser(app, 'alice');
  const second = await call(app, alice.token, 'POST', '/v1/tokens', { name: 'second' });
  t.equal(second.statusCode, 201);
  const third = await call(app, alice.token, 'POST', '/v1/tokens', { name: 'third' });
  t.equal(third.statusCode, 409);
  t.same(third.json().error, {
    code: 'LIVE_ERR_TOO_MANY_TOKENS',
    message: `user "${alice.id}" already has 2 API tokens, the most MAX_TOKENS_PER_USER allows; revoke one to create another`,
  });
  const byAdmin = await call(app, ADMIN_TOKEN, 'POST', `/v1/users/${alice.id}/tokens`, { name: 'by the admin' });
  t.equal(byAdmin.statusCode, 409, "the admin creating one for the user is bound by the user's limit");
  t.equal(byAdmin.json().error.code, 'LIVE_ERR_TOO_MANY_TOKENS');
  t.equal((await call(app, alice.token, 'GET', '/v1/tokens')).json().data.length, 2, 'nothing was created');

  t.equal((await call(app, alice.token, 'DELETE', `/v1/tokens/${second.json().id}`)).statusCode, 204);
  t.equal((await call(app, alice.token, 'POST', '/v1/tokens', { name: 'in its place' })).statusCode, 201, 'revoking one frees a place');

  t.test('ten creations at once through two API instances leave exactly the limit', async (t) => {
    const { app: other } = await buildTestApp(t, redis.url, { maxTokensPerUser: 2 });
    const bob = await createUser(app, 'bob');
    const statuses = await raced([app, other], 10, (instance) => call(instance, bob.token, 'POST', '/v1/tokens', { name: 'race' }));
    t.same(statuses, [201, ...times(9, 409)]);
    t.equal((await call(app, bob.token, 'GET', '/v1/tokens')).json().data.length, 2);
  });
});

t.test('RESTREAM_MAX_TARGETS: targets per stream, racing creations included', async (t) => {
  const { app, redis } = await startTestApi(t, { restreamMaxTargets: 3 });
  const { app: other } = await buildTestApp(t, redis.url, { restreamMaxTargets: 3 });
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const url = `/v1/streams/${stream.id}/restream-targets`;
  const statuses = await raced([app, other], 10, (instance) => call(instance, alice.token, 'POST', url, { platform: 'twitch', stream_key: 'live_1234' }));
  t.same(statuses, [...times(3, 201), ...times(7, 409)]);
  const targets = (await call(app, alice.token, 'GET', url)).json().data as { id: string }[];
  t.equal(targets.length, 3);

  const refused = await call(app, alice.token, 'POST', url, { platform: 'twitch', stream_key: 'live_1234' });
  t.equal(refused.json().error.code, 'LIVE_ERR_TOO_MANY_TARGETS');
  t.match(refused.json().error.message, /RESTREAM_MAX_TARGETS/);
  t.equal((await call(app, alice.token, 'DELETE', `${url}/${targets[0]!.id}`)).statusCode, 204);
  t.equal((await call(app, alice.token, 'POST', url, { platform: 'youtube', stream_key: 'yt-key' })).statusCode, 201, 'deleting one frees a place');
});
