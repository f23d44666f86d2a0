import t from 'tap';
import { call, createStream, createUser, expectStreamBodiesRefused } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

/** An origin's authorize call, its own session each time, and the lease given back after. */
async function authorizeAnswer(internal: { inject: (url: string) => Promise<{ statusCode: number; json(): any }> }, name: string, session: string) {
  const answer = await internal.inject(`/authorize?${new URLSearchParams({ name, origin_id: 'origin-1', session_id: session })}`);
  return { statusCode: answer.statusCode, body: answer.json() };
}

t.test("seed 004's recording setting on a real redis-server", async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');

  t.test('new streams record every session with no reconnect timeout', async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Default' })).json();
    t.same(stream.recording, { mode: 'automatic', timeoutSeconds: 0 });
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().recording, stream.recording);
  });

  t.test('set at creation, in every stream body', async (t) => {
    const created = await call(app, alice.token, 'POST', '/v1/streams', { name: 'Off', recording: { mode: 'off', timeoutSeconds: 30 } });
    t.equal(created.statusCode, 201);
    const stream = created.json();
    t.same(stream.recording, { mode: 'off', timeoutSeconds: 30 });
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json(), stream);
    const listed = (await call(app, alice.token, 'GET', '/v1/streams')).json().data;
    t.same(listed.find((one: { id: string }) => one.id === stream.id), stream);
    const half = await call(app, alice.token, 'POST', '/v1/streams', { name: 'Half', recording: { timeoutSeconds: 3600 } });
    t.same(half.json().recording, { mode: 'automatic', timeoutSeconds: 3600 }, 'an omitted field takes the default');
  });

  t.test('PUT: omitted keeps the setting, each given field replaces its value', async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Show', recording: { mode: 'off', timeoutSeconds: 10 } })).json();
    const renamed = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2' })).json();
    t.same(renamed.recording, { mode: 'off', timeoutSeconds: 10 });
    const on = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2', recording: { mode: 'automatic' } })).json();
    t.same(on.recording, { mode: 'automatic', timeoutSeconds: 10 });
    const longer = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2', recording: { timeoutSeconds: 60 } });
    t.same(longer.json().recording, { mode: 'automatic', timeoutSeconds: 60 });
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json(), longer.json());

    const foreign = await call(app, bob.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Mine', recording: { mode: 'off' } });
    t.equal(foreign.statusCode, 404, "another user's stream is not found");
    t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().recording.mode, 'automatic', 'and unchanged');
  });

  t.test('invalid values: 400 naming the field and the value', async (t) => {
    const { id } = await createStream(app, alice.token);
    const cases: [object, RegExp][] = [
      [{ name: 'x', recording: { mode: 'always' } }, /^body\.recording\.mode must be equal to one of the allowed values.*; got "always"$/],
      [{ name: 'x', recording: { timeoutSeconds: 3601 } }, /^body\.recording\.timeoutSeconds must be <= 3600; got 3601$/],
      [{ name: 'x', recording: { timeoutSeconds: -1 } }, /^body\.recording\.timeoutSeconds must be >= 0; got -1$/],
      [{ name: 'x', recording: { timeoutSeconds: 1.5 } }, /^body\.recording\.timeoutSeconds must be integer; got 1\.5$/],
      [{ name: 'x', recording: 'automatic' }, /^body\.recording must be object; got "automatic"$/],
    ];
    await expectStreamBodiesRefused(t, app, alice.token, id, cases);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${id}`)).json().recording, { mode: 'automatic', timeoutSeconds: 0 }, 'unchanged');
  });

  t.test('a stream stored before recording existed reads as the default', async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Old', recording: { mode: 'off', timeoutSeconds: 5 } })).json();
    await app.redis.hdel(`stream:${stream.id}`, 'recording_mode', 'recording_timeout_seconds');
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().recording, { mode: 'automatic', timeoutSeconds: 0 });
  });

  t.test("the authorize answer carries a managed stream's setting", async (t) => {
    const stream = await createStream(app, alice.token);
    await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Rec', recording: { mode: 'automatic', timeoutSeconds: 45 } });
    const first = await authorizeAnswer(internal, stream.rtmpKey, 'rec-1');
    t.equal(first.statusCode, 200);
    t.same(first.body, { allowed: true, name: stream.id, key_generation: 1, recording: { mode: 'automatic', timeout_seconds: 45 } });
    await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/rec-1?stream=${stream.id}` });

    await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Rec', recording: { mode: 'off' } });
    const second = await authorizeAnswer(internal, stream.rtmpKey, 'rec-2');
    t.same(second.body.recording, { mode: 'off', timeout_seconds: 45 }, 'a change applies from the next publish');
    await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/rec-2?stream=${stream.id}` });
  });

  t.test('open names are not recorded unless RECORD_OPEN_NAMES says so', async (t) => {
    const open = await authorizeAnswer(internal, 'golive', 'open-1');
    t.equal(open.statusCode, 200);
    t.same(open.body.recording, { mode: 'off', timeout_seconds: 0 });
    await internal.inject({ method: 'DELETE', url: '/ingests/origin-1/publishes/open-1?stream=golive' });
  });
});

t.test('RECORD_OPEN_NAMES records open names, each session its own video', async (t) => {
  const { internal } = await startTestApi(t, { allowedStreams: ['golive'], recordOpenNames: true });
  const open = await authorizeAnswer(internal, 'golive', 'open-rec');
  t.equal(open.statusCode, 200);
  t.same(open.body, { allowed: true, name: 'golive', key_generation: 0, recording: { mode: 'automatic', timeout_seconds: 0 } });
});
