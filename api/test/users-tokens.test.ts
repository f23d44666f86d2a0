import t from 'tap';
import { DEFAULT_RECORDING_QUOTA_BYTES } from '../src/settings.js';
import { call, createStream, createUser, type Method } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

const ID = /^[a-z0-9]{8}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

t.test('users and API tokens on a real redis-server', async (t) => {
  const { app, internal } = await startTestApi(t);

  t.test('the admin creates, lists, gets and deletes users', async (t) => {
    const created = await call(app, ADMIN_TOKEN, 'POST', '/v1/users', { name: 'Alice' });
    t.equal(created.statusCode, 201);
    const user = created.json();
    t.match(user, { id: ID, name: 'Alice', created_at: ISO });
    t.same(Object.keys(user).sort(), ['created_at', 'id', 'name']);

    const listed = await call(app, ADMIN_TOKEN, 'GET', '/v1/users');
    t.equal(listed.statusCode, 200);
    t.same(listed.json().data.at(-1), user, 'newest last');

    t.same(
      (await call(app, ADMIN_TOKEN, 'GET', `/v1/users/${user.id}`)).json(),
      { ...user, storage: { usedBytes: 0, quotaBytes: DEFAULT_RECORDING_QUOTA_BYTES } },
      'one user as the admin views it: with its recordings against its quota',
    );
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${user.id}`)).statusCode, 204);
    const gone = await call(app, ADMIN_TOKEN, 'GET', `/v1/users/${user.id}`);
    t.equal(gone.statusCode, 404);
    t.same(gone.json().error, { code: 'LIVE_ERR_USER_NOT_FOUND', message: `user "${user.id}" does not exist` });
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${user.id}`)).statusCode, 404);
    t.notOk((await call(app, ADMIN_TOKEN, 'GET', '/v1/users')).json().data.some((u: { id: string }) => u.id === user.id));
    t.equal((await call(app, ADMIN_TOKEN, 'GET', '/v1/users/admin')).statusCode, 404, 'the built-in admin is not stored');
  });

  t.test('bad bodies and ids are 400 naming the field', async (t) => {
    const cases: [Method, string, object | undefined, RegExp][] = [
      ['POST', '/v1/users', {}, /^body\.name is required$/],
      ['POST', '/v1/users', { name: '' }, /^body\.name must NOT have fewer than 1 characters; got ""$/],
      ['POST', '/v1/users', { name: '   ' }, /^body\.name must match pattern .*; got "   "$/],
      ['POST', '/v1/users', { name: 'a\u0000b' }, /^body\.name must match pattern/],
      ['POST', '/v1/users', { name: 'x'.repeat(129) }, /^body\.name must NOT have more than 128 characters/],
      ['POST', '/v1/users', { name: 7 }, /^body\.name must be string; got 7$/],
      ['GET', '/v1/users/NOT-AN-ID', undefined, /^params\.id must match pattern/],
      ['POST', '/v1/tokens', { name: '' }, /^body\.name must NOT have fewer than 1 characters/],
      ['DELETE', '/v1/tokens/x', undefined, /^params\.id must match pattern/],
    ];
    const { token } = await createUser(app, 'validator');
    for (const [method, url, payload, message] of cases) {
      const response = await call(app, url.startsWith('/v1/users') ? ADMIN_TOKEN : token, method, url, payload);
      t.equal(response.statusCode, 400, `${method} ${url}`);
      t.equal(response.json().error.code, 'LIVE_ERR_VALIDATION');
      t.match(response.json().error.message, message);
    }
  });

  t.test('401 without a token, with a malformed, unknown or revoked one; WWW-Authenticate: Bearer', async (t) => {
    const missing = await call(app, undefined, 'GET', '/v1/streams');
    t.equal(missing.statusCode, 401);
    t.same(missing.json().error, {
      code: 'LIVE_ERR_UNAUTHORIZED',
      message: 'an API token is required: send "Authorization: Bearer <token>"',
    });
    t.equal(missing.headers['www-authenticate'], 'Bearer realm="livestack"');

    const basic = await app.inject({ url: '/v1/streams', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    t.equal(basic.statusCode, 401, 'another scheme is no token');

    const { id, token } = await createUser(app, 'revoked');
    const [tokenId] = token.slice(4).split('_');
    const unknownSecret = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
    for (const bad of ['nope', 'lst_zzzzzzzz_' + 'a'.repeat(32), unknownSecret, `${ADMIN_TOKEN}x`]) {
      const response = await call(app, bad, 'GET', '/v1/streams');
      t.equal(response.statusCode, 401, bad);
      t.same(response.json().error, { code: 'LIVE_ERR_UNAUTHORIZED', message: 'the API token is malformed, unknown or revoked' });
      t.equal(response.headers['www-authenticate'], 'Bearer realm="livestack", error="invalid_token"');
    }

    t.equal((await call(app, token, 'GET', '/v1/streams')).statusCode, 200);
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${id}/tokens/${tokenId}`)).statusCode, 204);
    t.equal((await call(app, token, 'GET', '/v1/streams')).statusCode, 401, 'a revoked token is refused');
  });

  t.test('authentication comes before validation: no 400 for a caller without a token', async (t) => {
    const response = await call(app, undefined, 'POST', '/v1/streams', { name: '' });
    t.equal(response.statusCode, 401);
  });

  t.test('admin routes are 403 for users', async (t) => {
    const { id, token } = await createUser(app, 'plain');
    const routes: [Method, string, object?][] = [
      ['POST', '/v1/users', { name: 'x' }],
      ['GET', '/v1/users'],
      ['GET', `/v1/users/${id}`],
      ['DELETE', `/v1/users/${id}`],
      ['GET', `/v1/users/${id}/tokens`],
      ['POST', `/v1/users/${id}/tokens`, { name: 'x' }],
      ['DELETE', `/v1/users/${id}/tokens/abcdefgh`],
    ];
    for (const [method, url, payload] of routes) {
      const response = await call(app, token, method, url, payload);
      t.equal(response.statusCode, 403, `${method} ${url}`);
      t.same(response.json().error, { code: 'LIVE_ERR_FORBIDDEN', message: 'this route is for the admin only (the ADMIN_TOKEN)' });
    }
  });

  t.test("the admin manages a user's tokens; listings never show a secret", async (t) => {
    const { id } = await createUser(app, 'bob');
    const created = await call(app, ADMIN_TOKEN, 'POST', `/v1/users/${id}/tokens`, { name: 'laptop' });
    t.equal(created.statusCode, 201);
    const token = created.json();
    t.match(token, { id: ID, name: 'laptop', created_at: ISO });
    t.match(token.token, new RegExp(`^lst_${token.id}_[A-Za-z0-9]{32}$`));
    const secret = token.token.split('_')[2];

    const listed = await call(app, ADMIN_TOKEN, 'GET', `/v1/users/${id}/tokens`);
    t.equal(listed.statusCode, 200);
    t.same(listed.json().data.at(-1), { id: token.id, name: 'laptop', created_at: token.created_at });
    t.notMatch(listed.body, secret, 'no secret in the listing');
    const own = await call(app, token.token, 'GET', '/v1/tokens');
    t.same(own.json().data.map((listedToken: { id: string }) => listedToken.id).sort(), listed.json().data.map((x: { id: string }) => x.id).sort());
    t.notMatch(own.body, secret);

    t.equal((await call(app, ADMIN_TOKEN, 'GET', '/v1/users/zzzzzzzz/tokens')).statusCode, 404);
    t.equal((await call(app, ADMIN_TOKEN, 'POST', '/v1/users/zzzzzzzz/tokens', { name: 'x' })).statusCode, 404);
    const unknownToken = await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${id}/tokens/zzzzzzzz`);
    t.equal(unknownToken.statusCode, 404);
    t.same(unknownToken.json().error, { code: 'LIVE_ERR_TOKEN_NOT_FOUND', message: 'API token "zzzzzzzz" does not exist' });
  });

  t.test('users and tokens created back to back are listed oldest first', async (t) => {
    const userIds: string[] = [];
    for (let i = 0; i < 10; i++) userIds.push((await call(app, ADMIN_TOKEN, 'POST', '/v1/users', { name: `quick-${i}` })).json().id);
    const users = (await call(app, ADMIN_TOKEN, 'GET', '/v1/users')).json().data.map((user: { id: string }) => user.id);
    t.same(users.slice(-userIds.length), userIds, 'users');

    const owner = userIds[0]!;
    const tokenIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      tokenIds.push((await call(app, ADMIN_TOKEN, 'POST', `/v1/users/${owner}/tokens`, { name: `t${i}` })).json().id);
    }
    const tokens = (await call(app, ADMIN_TOKEN, 'GET', `/v1/users/${owner}/tokens`)).json().data;
    t.same(tokens.map((token: { id: string }) => token.id), tokenIds, 'tokens');
  });

  t.test("a user manages their own tokens and nobody else's", async (t) => {
    const alice = await createUser(app, 'alice-tokens');
    const bob = await createUser(app, 'bob-tokens');
    const created = await call(app, alice.token, 'POST', '/v1/tokens', { name: 'ci' });
    t.equal(created.statusCode, 201);
    const second = created.json();
    t.equal((await call(app, second.token, 'GET', '/v1/tokens')).statusCode, 200, 'the new token works');
    t.equal((await call(app, alice.token, 'GET', '/v1/tokens')).json().data.length, 2);

    t.equal((await call(app, bob.token, 'DELETE', `/v1/tokens/${second.id}`)).statusCode, 404, "bob cannot revoke alice's token");
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${bob.id}/tokens/${second.id}`)).statusCode, 404, 'nor under bob');
    t.equal((await call(app, second.token, 'GET', '/v1/tokens')).statusCode, 200, 'still valid');

    t.equal((await call(app, alice.token, 'DELETE', `/v1/tokens/${second.id}`)).statusCode, 204);
    t.equal((await call(app, second.token, 'GET', '/v1/tokens')).statusCode, 401, 'revoked');
    t.equal((await call(app, alice.token, 'DELETE', `/v1/tokens/${second.id}`)).statusCode, 404, 'already revoked');
    t.equal((await call(app, alice.token, 'GET', '/v1/tokens')).json().data.length, 1);
  });

  t.test('the built-in admin has no stored tokens: ADMIN_TOKEN is its only one', async (t) => {
    t.same((await call(app, ADMIN_TOKEN, 'GET', '/v1/tokens')).json(), { data: [] });
    const refused = await call(app, ADMIN_TOKEN, 'POST', '/v1/tokens', { name: 'x' });
    t.equal(refused.statusCode, 403);
    t.equal(refused.json().error.code, 'LIVE_ERR_FORBIDDEN');
    t.equal((await call(app, ADMIN_TOKEN, 'POST', '/v1/users/admin/tokens', { name: 'x' })).statusCode, 404);
  });

  t.test("deleting a user revokes its tokens and deletes its streams and their keys", async (t) => {
    const doomed = await createUser(app, 'doomed');
    const stream = await createStream(app, doomed.token);
    t.equal((await internal.inject(`/authorize?name=${stream.rtmpKey}&session_id=s-doomed`)).statusCode, 200);
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${doomed.id}`)).statusCode, 204);
    t.equal((await call(app, doomed.token, 'GET', '/v1/streams')).statusCode, 401);
    t.equal((await internal.inject(`/authorize?name=${stream.rtmpKey}&session_id=s-doomed-2`)).statusCode, 403);
    const left = await app.redis.keys(`*${doomed.id}*`);
    const leftForStream = await app.redis.keys(`*${stream.id}*`);
    t.same([...left, ...leftForStream], [], 'no key of the user or its stream is left');
  });
});

t.test('without ADMIN_TOKEN no admin token works', async (t) => {
  const { app } = await startTestApi(t, { adminToken: undefined });
  const response = await call(app, ADMIN_TOKEN, 'GET', '/v1/users');
  t.equal(response.statusCode, 401);
});

t.test('rotating ADMIN_TOKEN: the old token and the new one are both the admin until the old one is dropped', async (t) => {
  const newToken = 'adm_rotated-admin-token-0123456789';
  const { app } = await startTestApi(t, { adminToken: newToken, previousAdminToken: ADMIN_TOKEN });
  const withNew = await call(app, newToken, 'GET', '/v1/me');
  t.equal(withNew.statusCode, 200);
  t.match(withNew.json(), { id: 'admin', admin: true }, 'the new token is the admin');
  const withOld = await call(app, ADMIN_TOKEN, 'GET', '/v1/me');
  t.equal(withOld.statusCode, 200);
  t.match(withOld.json(), { id: 'admin', admin: true }, 'the old token is the admin too, during the rotation');
  t.equal((await call(app, `${newToken}x`, 'GET', '/v1/me')).statusCode, 401, 'anything else is not');

  const after = await startTestApi(t, { adminToken: newToken });
  t.equal((await call(after.app, ADMIN_TOKEN, 'GET', '/v1/me')).statusCode, 401, 'once ADMIN_TOKEN_PREVIOUS is dropped, the old token stops working');
  t.equal((await call(after.app, newToken, 'GET', '/v1/me')).statusCode, 200, 'and the new one goes on');
});
