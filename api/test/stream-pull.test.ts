import t from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser, streamKeysOf } from './fixtures/api-client.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function claim(internal: InternalCaller, originId: string, { max = 10, statuses = [] as object[] } = {}) {
  return internal.inject({ method: 'POST', url: '/internal/pulls/claim', payload: { origin_id: originId, max, statuses } });
}

t.test('pull sources on a real redis-server', async (t) => {
  const { app, internal } = await startTestApi(t, { pullLeaseSeconds: 2 });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');

  t.test('a URL that is not a pull source is 400 naming body.url', async (t) => {
    const stream = await createStream(app, alice.token);
    const cases: [string, RegExp][] = [
      ['ftp://1.2.3.4/live/a', /must start with rtmp:\/\/, rtmps:\/\/, srt:\/\/, http:\/\/ or https:\/\//],
      ['rtmp://1.2.3.4/live', /must name the application and the stream/],
      ['srt://1.2.3.4?streamid=a', /must name the port/],
      ['http://1.2.3.4/a b.mp4', /spaces/],
      ['//no-scheme.example/live/a', /must be a URL/],
      ['rtmp://bad_host!/live/a', /host/],
      ['https://1.2.3.4/clip.mp4#t=1', /fragment/],
    ];
    for (const [url, problem] of cases) {
      const answer = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, { url });
      t.equal(answer.statusCode, 400, url);
      t.equal(answer.json().error.code, 'LIVE_ERR_VALIDATION', url);
      t.match(answer.json().error.message, /^body\.url /, url);
      t.match(answer.json().error.message, problem, url);
    }
    const missing = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, {});
    t.equal(missing.statusCode, 400);
  });

  t.test('a private address is refused (ALLOW_PRIVATE_TARGETS is off)', async (t) => {
    const stream = await createStream(app, alice.token);
    for (const url of ['rtmp://127.0.0.1/live/a', 'http://10.1.2.3/clip.mp4', 'srt://[::1]:9000', 'https://169.254.169.254/x.m3u8']) {
      const answer = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, { url });
      t.equal(answer.statusCode, 400, url);
      t.equal(answer.json().error.code, 'LIVE_ERR_TARGET_ADDRESS_REFUSED', url);
    }
    t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/pull`)).statusCode, 404, 'nothing was saved');
  });

  t.test('one pull per stream, secrets masked in every answer, the owner only, DELETE removes it', async (t) => {
    const stream = await createStream(app, alice.token);
    const url = 'srt://1.2.3.4:9000?streamid=read/cam7&passphrase=correcthorsebattery';
    const created = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, { url });
    t.equal(created.statusCode, 201);
    t.same(created.json(), { url: 'srt://1.2.3.4:9000?streamid=****&passphrase=****', created_at: created.json().created_at, status: null });
    t.match(created.json().created_at, ISO);
    const again = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, { url: 'rtmp://1.2.3.4/live/b' });
    t.equal(again.statusCode, 409);
    t.equal(again.json().error.code, 'LIVE_ERR_PULL_EXISTS');
    const shown = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/pull`);
    t.equal(shown.statusCode, 200);
    t.equal(shown.json().url, created.json().url);
    const lifecycle = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/lifecycle`);
    t.match(lifecycle.json(), { live: false, pull: { url: created.json().url, status: null } });
    for (const body of [created.body, shown.body, lifecycle.body]) {
      t.notOk(body.includes('correcthorsebattery') || body.includes('cam7'), 'no secret in an answer');
    }
    t.equal((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/pull`)).statusCode, 404, "not bob's");
    t.equal((await call(app, bob.token, 'DELETE', `/v1/streams/${stream.id}/pull`)).json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}/pull`)).statusCode, 204);
    const gone = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/pull`);
    t.equal(gone.statusCode, 404);
    t.equal(gone.json().error.code, 'LIVE_ERR_PULL_NOT_FOUND');
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}/pull`)).statusCode, 404);
    t.match((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json(), { pull: null });
  });

  t.test('origins claim pulls: one origin per pull, with the URL and publish key; statuses show; a lapsed lease moves', async (t) => {
    const stream = await createStream(app, bob.token);
    const url = 'rtmp://viewer:s3cretpass@1.2.3.5/live/cam';
    t.equal((await call(app, bob.token, 'POST', `/v1/streams/${stream.id}/pull`, { url })).statusCode, 201);
    const { rtmpKey } = await streamKeysOf(app, bob.token, stream.id);
    const mine = (answer: { json(): { pulls: { stream: string }[] } }) => answer.json().pulls.filter((pull) => pull.stream === stream.id);

    const first = await claim(internal, 'origin-a');
    t.equal(first.statusCode, 200);
    t.same(mine(first), [{ stream: stream.id, url, stream_key: rtmpKey }], 'the origin gets the real URL and the RTMP key');
    t.equal(first.json().lease_seconds, 2);
    t.same(mine(await claim(internal, 'origin-b')), [], 'another origin does not get a leased pull');
    t.same(mine(await claim(internal, 'origin-a', { max: 0 })), [], 'max 0 claims nothing');

    const status = { stream: stream.id, state: 'retrying', since: '2026-01-01T00:00:00.000Z', attempts: 2, last_error: 'ffmpeg stopped (1): Connection refused' };
    t.same(mine(await claim(internal, 'origin-a', { statuses: [status] })).length, 1, 'renewed by its claim');
    t.match((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/pull`)).json(), {
      url: 'rtmp://****:****@1.2.3.5/live/cam',
      status: { state: 'retrying', since: status.since, attempts: 2, last_error: status.last_error, reported_at: ISO },
    });
    t.match((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json(), { pull: { status: { state: 'retrying' } } });
    const spoofed = await claim(internal, 'origin-b', { statuses: [{ ...status, state: 'live' }] });
    t.same(mine(spoofed), []);
    t.equal((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/pull`)).json().status.state, 'retrying', "an origin that does not hold the pull cannot report it");

    // origin-a stops claiming (it died): its lease lapses and origin-b takes the pull.
    await waitFor('the lease to move to origin-b', async () => mine(await claim(internal, 'origin-b')).length === 1, { timeoutMs: 30_000 });
    t.same(mine(await claim(internal, 'origin-a')), [], 'origin-a has lost it');

    t.equal((await call(app, bob.token, 'DELETE', `/v1/streams/${stream.id}/pull`)).statusCode, 204);
    t.same(mine(await claim(internal, 'origin-b')), [], 'a deleted pull is claimed by nobody');
    t.equal((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/pull`)).statusCode, 404);
  });

  t.test('a deleted stream takes its pull with it', async (t) => {
    const stream = await createStream(app, alice.token);
    await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/pull`, { url: 'https://1.2.3.6/live.m3u8' });
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}`)).statusCode, 204);
    t.notOk((await claim(internal, 'origin-c')).json().pulls.some((pull: { stream: string }) => pull.stream === stream.id));
  });

  t.test('a bad claim is 400; without the internal token 401', async (t) => {
    t.equal((await internal.inject({ method: 'POST', url: '/internal/pulls/claim', payload: { origin_id: 'a b', max: 1, statuses: [] } })).statusCode, 400);
    t.equal((await claim(internal, 'origin-a', { statuses: [{ stream: 'x', state: 'gone' }] })).statusCode, 400);
    const unauthorized = await internal.inject({ method: 'POST', url: '/internal/pulls/claim', payload: { origin_id: 'a', max: 1, statuses: [] }, headers: { authorization: 'Bearer wrong' } });
    t.equal(unauthorized.statusCode, 401);
  });
});
