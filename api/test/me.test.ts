import t from 'tap';
import { call, createUser } from './fixtures/api-client.js';
import { DEFAULT_RECORDING_QUOTA_BYTES } from '../src/settings.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

t.test('GET /v1/me: who the token acts for', async (t) => {
  const { app } = await startTestApi(t);
  const alice = await createUser(app, 'Alice Example');

  const admin = await call(app, ADMIN_TOKEN, 'GET', '/v1/me');
  t.equal(admin.statusCode, 200);
  t.same(admin.json(), { id: 'admin', name: 'admin', admin: true, storage: { usedBytes: 0, quotaBytes: null } }, 'the admin is not limited');

  const user = await call(app, alice.token, 'GET', '/v1/me');
  t.equal(user.statusCode, 200);
  t.same(user.json(), {
    id: alice.id,
    name: 'Alice Example',
    admin: false,
    storage: { usedBytes: 0, quotaBytes: DEFAULT_RECORDING_QUOTA_BYTES },
  });

  const missing = await call(app, undefined, 'GET', '/v1/me');
  t.equal(missing.statusCode, 401);
  t.equal(missing.json().error.code, 'LIVE_ERR_UNAUTHORIZED');
  const wrongSecret = alice.token.slice(0, -1) + (alice.token.endsWith('x') ? 'y' : 'x');
  const wrong = await call(app, wrongSecret, 'GET', '/v1/me');
  t.equal(wrong.statusCode, 401, 'a wrong secret');

  t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${alice.id}`)).statusCode, 204);
  t.equal((await call(app, alice.token, 'GET', '/v1/me')).statusCode, 401, "a deleted user's token is gone with it");
});
