import t from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser, type Method } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

t.test('/v1/streams on a real redis-server', async (t) => {
  const { app } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');

  t.test('create, get, list, rename and delete: the seed shapes', async (t) => {
    const created = await call(app, alice.token, 'POST', '/v1/streams', { name: 'New Stream' });
    t.equal(created.statusCode, 201);
    const stream = created.json();
    t.match(stream, { id: /^[a-z0-9]{8}$/, user_id: alice.id, name: 'New Stream', created_at: ISO, updated_at: ISO });
    t.equal(stream.created_at, stream.updated_at);
    t.same(stream.restream_targets, []);
    t.same(Object.keys(stream).sort(), [
      'abr',
      'allowed_origins',
      'created_at',
      'id',
      'name',
      'recording',
      'recordingStatus',
      'require_signed_urls',
      'restream_targets',
      'updated_at',
      'user_id',
    ]);
    t.equal(stream.require_signed_urls, false, 'open playback by default');
    t.same(stream.allowed_origins, []);
    t.same(stream.recording, { mode: 'automatic', timeoutSeconds: 0 }, 'every session recorded by default (seed 004)');

    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json(), stream);
    const listed = await call(app, alice.token, 'GET', '/v1/streams');
    t.equal(listed.statusCode, 200);
    t.same(listed.json(), { data: [stream] });

    await waitFor('the clock to move past the creation', () => Date.now() > Date.parse(stream.updated_at));
    const renamed = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'New Name' });
    t.equal(renamed.statusCode, 200);
    t.match(renamed.json(), { id: stream.id, name: 'New Name', created_at: stream.created_at });
    t.ok(renamed.json().updated_at > stream.updated_at, 'updated_at moves');
    t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().name, 'New Name');

    const deleted = await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}`);
    t.equal(deleted.statusCode, 204);
    t.equal(deleted.body, '');
    const gone = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`);
    t.equal(gone.statusCode, 404);
    t.same(gone.json().error, { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: `stream "${stream.id}" does not exist` });
    t.same((await call(app, alice.token, 'GET', '/v1/streams')).json(), { data: [] });
    t.same(await app.redis.keys(`*${stream.id}*`), [], 'no key of the stream is left');
  });

  t.test("another user's stream is 404 everywhere, never 403, and not listed", async (t) => {
    const stream = await createStream(app, alice.token, 'Private');
    const routes: [Method, string, object?][] = [
      ['GET', `/v1/streams/${stream.id}`],
      ['PUT', `/v1/streams/${stream.id}`, { name: 'Mine now' }],
      ['DELETE', `/v1/streams/${stream.id}`],
      ['GET', `/v1/streams/${stream.id}/stream-keys`],
      ['POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'rtmp' }],
      ['GET', `/v1/streams/${stream.id}/playlists`],
      ['GET', `/v1/streams/${stream.id}/lifecycle`],
    ];
    for (const [method, url, payload] of routes) {
      for (const token of [bob.token, ADMIN_TOKEN]) {
        const response = await call(app, token, method, url, payload);
        t.equal(response.statusCode, 404, `${method} ${url}`);
        t.same(response.json().error, { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: `stream "${stream.id}" does not exist` });
        t.notMatch(response.body, stream.rtmpKey.slice(-24));
      }
    }
    t.notOk((await call(app, bob.token, 'GET', '/v1/streams')).json().data.some((s: { id: string }) => s.id === stream.id));
    const own = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`);
    t.equal(own.json().name, 'Private', 'unchanged by the attempts');
    t.same(await createStreamKeys(stream.id), { rtmpKey: stream.rtmpKey, srtKey: stream.srtKey }, 'keys unchanged');
  });

  async function createStreamKeys(id: string) {
    const keys = (await call(app, alice.token, 'GET', `/v1/streams/${id}/stream-keys`)).json().data;
    return { rtmpKey: keys[0].stream_key, srtKey: keys[1].stream_key };
  }

  t.test('the admin owns streams of its own', async (t) => {
    const created = await call(app, ADMIN_TOKEN, 'POST', '/v1/streams', { name: 'Demo stream' });
    t.equal(created.statusCode, 201);
    t.equal(created.json().user_id, 'admin');
    t.same((await call(app, ADMIN_TOKEN, 'GET', '/v1/streams')).json().data.map((s: { id: string }) => s.id), [created.json().id]);
  });

  t.test('ids are random and distinct', async (t) => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await createStream(app, bob.token, `s${i}`)).id);
    t.equal(ids.size, 20);
    t.same(
      (await call(app, bob.token, 'GET', '/v1/streams')).json().data.map((s: { name: string }) => s.name),
      Array.from({ length: 20 }, (_, i) => `s${i}`),
      'listed oldest first',
    );
  });

  t.test('400 naming the field', async (t) => {
    const cases: [Method, string, object | undefined, RegExp][] = [
      ['POST', '/v1/streams', {}, /^body\.name is required$/],
      ['POST', '/v1/streams', { name: ' ' }, /^body\.name must match pattern .*; got " "$/],
      ['PUT', '/v1/streams/abcdefgh', { name: 'x'.repeat(129) }, /^body\.name must NOT have more than 128 characters/],
      ['GET', '/v1/streams/ABC', undefined, /^params\.id must match pattern .*; got "ABC"$/],
      ['DELETE', '/v1/streams/abc', undefined, /^params\.id must match pattern/],
    ];
    for (const [method, url, payload, message] of cases) {
      const response = await call(app, alice.token, method, url, payload);
      t.equal(response.statusCode, 400, `${method} ${url}`);
      t.equal(response.json().error.code, 'LIVE_ERR_VALIDATION');
      t.match(response.json().error.message, message);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/streams',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    t.equal(notJson.statusCode, 400);
    t.equal(notJson.json().error.code, 'LIVE_ERR_MALFORMED_REQUEST');
  });

  t.test('404 for a stream that does not exist', async (t) => {
    for (const [method, url, payload] of [
      ['GET', '/v1/streams/zzzzzzzz'],
      ['PUT', '/v1/streams/zzzzzzzz', { name: 'x' }],
      ['DELETE', '/v1/streams/zzzzzzzz'],
    ] as [Method, string, object?][]) {
      t.equal((await call(app, alice.token, method, url, payload)).statusCode, 404, `${method} ${url}`);
    }
  });
});
