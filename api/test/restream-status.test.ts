import t from 'tap';
import { timed } from '../../test-support/timed.js';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

function report(internal: InternalCaller, stream: string, targets: object[], originId = 'origin-1') {
  return internal.inject({ method: 'PUT', url: `/internal/streams/${stream}/restream-status`, payload: { origin_id: originId, targets } });
}

function status(id: string, fields: Record<string, unknown> = {}) {
  return {
    id,
    state: 'live',
    since: '2025-01-01T12:00:00.000Z',
    bytes_sent: 1_250_000,
    bitrate_bps: 2_500_000,
    attempts: 0,
    last_error: null,
    skipped_keyframes: 0,
    ...fields,
  };
}

t.test('origins report each push; targets and the lifecycle show it', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const add = async (payload: object) =>
    (await call(app, token, 'POST', `/v1/streams/${stream.id}/restream-targets`, payload)).json() as { id: string };
  const twitch = await add({ platform: 'twitch', stream_key: 'live_1_abcdefghijklmnop' });
  const youtube = await add({ platform: 'youtube', stream_key: 'aaaa-bbbb-cccc-dddd' });
  const custom = await add({ platform: 'custom', stream_url: 'rtmp://1.2.3.5/app', stream_key: 'k', enabled: false });

  const retrying = status(youtube.id, {
    state: 'retrying',
    bytes_sent: 0,
    bitrate_bps: 0,
    attempts: 2,
    last_error: { code: 'RESTREAM_ERR_NETWORK', message: 'connect ECONNREFUSED a.rtmp.youtube.com:1935', at: '2025-01-01T12:00:05.000Z' },
    next_retry_at: '2025-01-01T12:00:09.000Z',
  });
  const reported = await timed(() =>
    report(internal, stream.id, [
      status(twitch.id, { skipped_keyframes: 2 }),
      retrying,
      status(custom.id, { state: 'disabled', bytes_sent: 0, bitrate_bps: 0 }),
      status('zzzzzzzz'),
    ]),
  );
  const answer = reported.result;
  t.equal(answer.statusCode, 204);
  t.equal(answer.body, '');

  const targets = (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data;
  t.same(targets[0].status, {
    state: 'live',
    since: '2025-01-01T12:00:00.000Z',
    bytes_sent: 1_250_000,
    bitrate_bps: 2_500_000,
    attempts: 0,
    last_error: null,
    next_retry_at: null,
    skipped_keyframes: 2,
    reported_at: targets[0].status.reported_at,
  });
  const reportedAt = Date.parse(targets[0].status.reported_at);
  t.ok(reportedAt >= reported.before && reportedAt <= reported.after, 'reported_at is when the API got it');
  t.match(targets[1].status, {
    state: 'retrying',
    attempts: 2,
    last_error: { code: 'RESTREAM_ERR_NETWORK', message: 'connect ECONNREFUSED a.rtmp.youtube.com:1935', at: '2025-01-01T12:00:05.000Z' },
    next_retry_at: '2025-01-01T12:00:09.000Z',
  });
  t.equal(targets[2].status.state, 'disabled');
  t.same(targets[2].status.last_error, null);
  const one = (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets/${youtube.id}`)).json();
  t.equal(one.status.state, 'retrying', 'a single target shows it too');
  t.same(Object.keys(await app.redis.hgetall(`restream-status:${stream.id}`)).sort(), [twitch.id, youtube.id, custom.id].sort(), 'unknown targets are dropped');

  await internal.inject({ method: 'POST', url: '/streams', payload: { name: stream.id, manifest: 'index.m3u8', host: '10.0.0.7:8080' } });
  const lifecycle = (await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json();
  t.match(lifecycle, { live: true, origin: '10.0.0.7:8080' });
  t.same(
    lifecycle.restream.map((entry: Record<string, unknown>) => [entry.id, entry.name, entry.platform, entry.enabled, entry.state, entry.since]),
    [
      [twitch.id, 'Twitch', 'twitch', true, 'live', '2025-01-01T12:00:00.000Z'],
      [youtube.id, 'YouTube', 'youtube', true, 'retrying', '2025-01-01T12:00:00.000Z'],
      [custom.id, '1.2.3.5', 'custom', false, 'disabled', '2025-01-01T12:00:00.000Z'],
    ],
  );
  t.match(lifecycle.restream[1], { attempts: 2, bytes_sent: 0, last_error: { code: 'RESTREAM_ERR_NETWORK' }, skipped_keyframes: 0 });
  t.notMatch(JSON.stringify(lifecycle), /abcdefghijklmnop|bbbb-cccc/, 'never a key');

  t.test('a newer report replaces the last one, target by target', async (t) => {
    t.equal((await report(internal, stream.id, [status(youtube.id, { since: '2025-01-01T12:00:10.000Z' })], 'origin-2')).statusCode, 204);
    const data = (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data;
    t.same(data.map((target: { status: { state: string } }) => target.status.state), ['live', 'live', 'disabled']);
    t.equal(data[1].status.since, '2025-01-01T12:00:10.000Z');
  });

  t.test('a last error may be reported as its message only', async (t) => {
    t.equal((await report(internal, stream.id, [status(twitch.id, { state: 'failed', last_error: 'publish refused: NetStream.Publish.BadName' })])).statusCode, 204);
    const target = (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets/${twitch.id}`)).json();
    t.same(target.status.last_error, { code: null, message: 'publish refused: NetStream.Publish.BadName', at: null });
    await report(internal, stream.id, [status(twitch.id, { last_error: { message: 'no code' } })]);
    const partial = (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets/${twitch.id}`)).json();
    t.same(partial.status.last_error, { code: null, message: 'no code', at: null });
    await report(internal, stream.id, [status(twitch.id)]);
  });

  t.test('deleting a target deletes its status', async (t) => {
    t.equal((await call(app, token, 'DELETE', `/v1/streams/${stream.id}/restream-targets/${custom.id}`)).statusCode, 204);
    t.notOk(custom.id in (await app.redis.hgetall(`restream-status:${stream.id}`)));
  });

  t.test('open names have nothing to store; unknown streams are 404; bodies are validated', async (t) => {
    t.equal((await report(internal, 'golive', [status('abcdefgh')])).statusCode, 204);
    t.same(await app.redis.keys('restream-status:golive'), []);
    for (const name of ['zzzzzzzz', 'not-allowed']) {
      const unknown = await report(internal, name, [status('abcdefgh')]);
      t.equal(unknown.statusCode, 404, name);
      t.equal(unknown.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
    }
    const cases: [object, RegExp][] = [
      [{ targets: [] }, /^body\.origin_id is required$/],
      [{ origin_id: 'o', targets: [status(twitch.id, { state: 'streaming' })] }, /^body\.targets\.0\.state must be equal to one of the allowed values; got "streaming"$/],
      [{ origin_id: 'o', targets: [status(twitch.id, { bytes_sent: -1 })] }, /^body\.targets\.0\.bytes_sent must be >= 0; got -1$/],
      [{ origin_id: 'o', targets: [status(twitch.id, { since: 'yesterday' })] }, /^body\.targets\.0\.since must match format "date-time"/],
      [{ origin_id: 'o', targets: Array.from({ length: 101 }, () => status(twitch.id)) }, /^body\.targets must NOT have more than 100 items/],
    ];
    for (const [payload, message] of cases) {
      const response = await internal.inject({ method: 'PUT', url: `/internal/streams/${stream.id}/restream-status`, payload });
      t.equal(response.statusCode, 400);
      t.match(response.json().error.message, message);
    }
  });
});

t.test('a status lasts RESTREAM_STATUS_TTL_SECONDS without a new report', async (t) => {
  let now = 1_700_000_000_000;
  // A long TTL so the hash (expired by Redis's own clock) outlasts the test on any machine.
  const { app, internal } = await startTestApi(t, { restreamStatusTtlSeconds: 60, now: () => now });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const add = async () =>
    (await call(app, token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'k' })).json() as { id: string };
  const first = await add();
  const second = await add();
  const states = async () =>
    (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data.map((target: { status: { state: string } | null }) => target.status?.state ?? null);
  const lifecycleStates = async () =>
    (await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json().restream.map((entry: { state: string; since: string | null }) => [entry.state, entry.since]);

  await report(internal, stream.id, [status(first.id), status(second.id)]);
  t.same(await states(), ['live', 'live']);
  now += 600;
  await report(internal, stream.id, [status(second.id, { state: 'retrying' })]);
  now += 59_399;
  t.same(await states(), ['live', 'retrying'], 'each status lasts its TTL from its own report');
  now += 2;
  t.same(await states(), [null, 'retrying'], 'the target the origin stopped reporting lost its status');
  t.same(await lifecycleStates(), [['idle', null], ['retrying', '2025-01-01T12:00:00.000Z']]);
  now += 600;
  t.same(await states(), [null, null], 'a dead origin leaves no status behind');
  t.same(await lifecycleStates(), [['idle', null], ['idle', null]]);
  await call(app, token, 'PATCH', `/v1/streams/${stream.id}/restream-targets/${first.id}`, { enabled: false });
  t.same(await lifecycleStates(), [['disabled', null], ['idle', null]], 'unreported: idle, or disabled');
});

t.test('the status hash of a dead origin expires from Redis', async (t) => {
  const { app, internal } = await startTestApi(t, { restreamStatusTtlSeconds: 1 });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const target = (await call(app, token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'k' })).json() as { id: string };
  const state = async () => (await call(app, token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data[0].status?.state ?? null;

  // Checked right after a fresh report, so a slow machine cannot let it lapse first.
  await waitFor('a reported status to show, stored in its hash', async () => {
    await report(internal, stream.id, [status(target.id)]);
    return (await state()) === 'live' && (await app.redis.exists(`restream-status:${stream.id}`)) === 1;
  });
  t.pass('reported and stored');
  await waitFor('the status to lapse', async () => (await state()) === null, { timeoutMs: 60_000 });
  await waitFor('the hash to expire', async () => (await app.redis.keys('restream-status:*')).length === 0, { timeoutMs: 60_000 });
  t.pass('no key is left');
});
