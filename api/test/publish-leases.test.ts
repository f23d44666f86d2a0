import t from 'tap';
import { expiresAtMs } from '../../test-support/redis-expiry.js';
import { timed } from '../../test-support/timed.js';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi, type InternalCaller } from './fixtures/test-api.js';

/** A lease no test outlives on any machine, where a test needs a lease to hold. */
const LEASE_SECONDS = 30;
/** TIME and PTTL are whole milliseconds: an expiry read back may be off by this much. */
const ROUNDING_MS = 2;

/** Whether `expiry` is `seconds` after a moment between `before` and `after`. */
const expiresAfter = (expiry: number | null, seconds: number, { before, after }: { before: number; after: number }) =>
  expiry !== null && expiry >= before + seconds * 1000 - ROUNDING_MS && expiry <= after + seconds * 1000 + ROUNDING_MS;

const authorize = (internal: InternalCaller, name: string, origin: string, session: string) =>
  internal.inject(`/authorize?${new URLSearchParams({ name, app: 'stream', origin_id: origin, session_id: session })}`);

interface Publish {
  session_id: string;
  stream: string;
  key_generation: number;
}

/** `waiting`: streams the origin holds without a publisher (their fallback plays). */
function heartbeat(internal: InternalCaller, origin: string, publishes: Publish[], waiting?: string[]) {
  return internal.inject({
    method: 'PUT',
    url: `/ingests/${origin}`,
    payload: {
      name: `Origin ${origin}`,
      region: 'eu-central',
      priority: 1,
      url_templates: { rtmp: `rtmp://${origin}.example:1935/stream/{stream_key}` },
      load: { streams: publishes.length, bandwidth_bps: 0 },
      publishes,
      ...(waiting ? { waiting } : {}),
    },
  });
}

const released = (internal: InternalCaller, origin: string, session: string, stream: string) =>
  internal.inject({ method: 'DELETE', url: `/ingests/${origin}/publishes/${session}?stream=${stream}` });

t.test('one publisher per stream, across origins', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'], publishLeaseSeconds: LEASE_SECONDS });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  t.test('a second session is refused with 409 while the first holds the lease', async (t) => {
    const claim = await timed(() => authorize(internal, stream.rtmpKey, 'origin-a', 'first'));
    t.equal(claim.result.statusCode, 200);
    const lease = await app.redis.hgetall(`publisher:${stream.id}`);
    t.match(lease, { origin_id: 'origin-a', session_id: 'first', started_at: /Z$/ });
    const expiry = await expiresAtMs(app.redis, `publisher:${stream.id}`);
    t.ok(expiresAfter(expiry, LEASE_SECONDS, claim), `the lease expires PUBLISH_LEASE_SECONDS after the claim (${expiry} ms)`);

    const second = await authorize(internal, stream.rtmpKey, 'origin-b', 'second');
    t.equal(second.statusCode, 409);
    t.same(second.json().error, {
      code: 'LIVE_ERR_ALREADY_PUBLISHING',
      message: `stream "${stream.id}" already has a live publisher; the new publish is refused`,
    });
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'first')).statusCode, 200, 'the holder may ask again');
    t.equal((await app.redis.hgetall(`publisher:${stream.id}`)).session_id, 'first', 'the live one keeps the lease');
  });

  t.test('the lease is released when its publisher leaves, and only by it', async (t) => {
    t.equal((await released(internal, 'origin-b', 'second', stream.id)).statusCode, 204, 'another session: no effect');
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-b', 'second')).statusCode, 409);
    const left = await released(internal, 'origin-a', 'first', stream.id);
    t.equal(left.statusCode, 204);
    t.equal(left.body, '');
    t.equal((await released(internal, 'origin-a', 'first', stream.id)).statusCode, 204, 'idempotent');
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-b', 'second')).statusCode, 200, 'now free');
    await released(internal, 'origin-b', 'second', stream.id);
  });

  t.test('concurrent publishes: exactly one wins the lease', async (t) => {
    const race = await createStream(app, token, 'Race');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => authorize(internal, race.rtmpKey, `origin-${i}`, `racer-${i}`)),
    );
    const codes = answers.map((answer) => answer.statusCode).sort();
    t.same(codes, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
  });

  t.test('open names have leases too', async (t) => {
    t.equal((await authorize(internal, 'golive', 'origin-a', 'open-1')).statusCode, 200);
    t.equal((await authorize(internal, 'golive', 'origin-b', 'open-2')).statusCode, 409);
    await released(internal, 'origin-a', 'open-1', 'golive');
  });

  t.test('the internal routes validate their input', async (t) => {
    const noStream = await internal.inject({ method: 'DELETE', url: '/ingests/origin-a/publishes/s1' });
    t.equal(noStream.statusCode, 400);
    t.same(noStream.json().error, { code: 'LIVE_ERR_VALIDATION', message: 'querystring.stream is required' });
    const badOrigin = await internal.inject({ method: 'DELETE', url: '/ingests/.bad' });
    t.equal(badOrigin.statusCode, 400);
    t.match(badOrigin.json().error.message, /^params\.origin_id must match pattern/);
  });
});

t.test('one owner per stream: a stream waiting for its publisher is taken over by the next one, on any origin', async (t) => {
  const { app, internal } = await startTestApi(t, { publishLeaseSeconds: LEASE_SECONDS });
  const { token } = await createUser(app, 'alice');

  t.test('the publisher left: its origin keeps the stream, and a new publisher elsewhere takes it over', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'first')).statusCode, 200);
    t.equal((await released(internal, 'origin-a', 'first', stream.id)).statusCode, 204);
    t.match(await app.redis.hgetall(`publisher:${stream.id}`), { origin_id: 'origin-a', session_id: 'first', state: 'waiting' });

    const kept = await heartbeat(internal, 'origin-a', [], [stream.id]);
    t.same(kept.json().handed_over, [], 'while nobody took it over, the origin holds the stream');

    const back = await authorize(internal, stream.rtmpKey, 'origin-b', 'back');
    t.equal(back.statusCode, 200, 'the returning publisher is not refused: the stream only waited for it');
    const lease = await app.redis.hgetall(`publisher:${stream.id}`);
    t.match(lease, { origin_id: 'origin-b', session_id: 'back' });
    t.notOk('state' in lease, 'live again');
    t.same((await heartbeat(internal, 'origin-a', [], [stream.id])).json().handed_over, [stream.id], 'the first origin lets the stream go');
    t.same(
      (await heartbeat(internal, 'origin-b', [{ session_id: 'back', stream: stream.id, key_generation: 1 }])).json(),
      { ttl_seconds: 10, disconnect: [], ended: [], handed_over: [], restream: { [stream.id]: 0 } },
    );
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'third')).statusCode, 409, 'a live publisher still blocks others');
  });

  t.test('a publisher back on the same origin takes its stream back there', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'first')).statusCode, 200);
    await released(internal, 'origin-a', 'first', stream.id);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'again')).statusCode, 200);
    t.same((await heartbeat(internal, 'origin-a', [{ session_id: 'again', stream: stream.id, key_generation: 1 }])).json().disconnect, []);
  });

  t.test('a waiting lease that lapsed (Redis lost it) is taken back by the heartbeat that reports the stream', async (t) => {
    const stream = await createStream(app, token);
    await app.redis.del(`publisher:${stream.id}`);
    t.same((await heartbeat(internal, 'origin-a', [], [stream.id])).json().handed_over, []);
    t.match(await app.redis.hgetall(`publisher:${stream.id}`), { origin_id: 'origin-a', state: 'waiting' });
    const expiry = await expiresAtMs(app.redis, `publisher:${stream.id}`);
    t.ok(expiry !== null && expiry > Date.now(), 'with a TTL: it lapses when the origin stops reporting it');
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-b', 'new')).statusCode, 200, 'and blocks no publisher');
  });

  t.test('the publisher that left cannot take a lease back from the one that replaced it', async (t) => {
    const stream = await createStream(app, token);
    await authorize(internal, stream.rtmpKey, 'origin-a', 'first');
    await released(internal, 'origin-a', 'first', stream.id);
    await authorize(internal, stream.rtmpKey, 'origin-b', 'second');
    t.same(
      (await heartbeat(internal, 'origin-a', [{ session_id: 'first', stream: stream.id, key_generation: 1 }])).json().disconnect,
      ['first'],
      'a late heartbeat naming the old session cuts it',
    );
    t.equal((await app.redis.hgetall(`publisher:${stream.id}`)).session_id, 'second');
  });
});

t.test('a lease lapses without heartbeats, and heartbeats keep it', async (t) => {
  // Two API instances on one Redis: one whose leases lapse within a second, one whose leases
  // outlast the test, so what must hold holds however slow the machine is.
  const { internal: brief, redis } = await startTestApi(t, { publishLeaseSeconds: 1 });
  const { app, internal } = await buildTestApp(t, redis.url, { publishLeaseSeconds: LEASE_SECONDS });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  // Claimed (the holder may ask again) and checked at once, until no stall came in between.
  await waitFor('a brief lease to be held', async () => {
    if ((await authorize(brief, stream.rtmpKey, 'origin-a', 'lapsed')).statusCode !== 200) return false;
    const other = await authorize(internal, stream.rtmpKey, 'origin-b', 'probe');
    // Lapsed before the check: the probe took the lease; give it back and try again.
    if (other.statusCode === 200) await released(internal, 'origin-b', 'probe', stream.id);
    return other.statusCode === 409;
  });
  t.pass('held: another session is refused');
  await waitFor(
    'the lease to lapse without heartbeats',
    async () => (await authorize(internal, stream.rtmpKey, 'origin-b', 'kept')).statusCode === 200,
    { timeoutMs: 60_000 },
  );
  t.pass('free after PUBLISH_LEASE_SECONDS without heartbeats');
  const lapsed = await heartbeat(internal, 'origin-a', [{ session_id: 'lapsed', stream: stream.id, key_generation: 1 }]);
  t.same(lapsed.json().disconnect, ['lapsed'], 'the session that lost its lease is cut');

  const claimed = await expiresAtMs(app.redis, `publisher:${stream.id}`);
  await waitFor('the clock to move past the claim', () => claimed !== null && Date.now() > claimed - LEASE_SECONDS * 1000 + ROUNDING_MS);
  const renewal = await timed(() => heartbeat(internal, 'origin-b', [{ session_id: 'kept', stream: stream.id, key_generation: 1 }]));
  t.same(renewal.result.json(), { ttl_seconds: 10, disconnect: [], ended: [], handed_over: [], restream: { [stream.id]: 0 } });
  const renewed = await expiresAtMs(app.redis, `publisher:${stream.id}`);
  t.ok(expiresAfter(renewed, LEASE_SECONDS, renewal), 'a heartbeat renews the lease for PUBLISH_LEASE_SECONDS');
  t.ok(renewed !== null && claimed !== null && renewed > claimed, 'past the time it would have lapsed');
  t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'late')).statusCode, 409, 'still held');
});

t.test('heartbeats renew leases and name the sessions to disconnect', async (t) => {
  const { app, internal } = await startTestApi(t, { publishLeaseSeconds: LEASE_SECONDS, allowedStreams: ['golive'] });
  const { token } = await createUser(app, 'alice');

  t.test('a key reset cuts the publisher of the old key, at once free for the new key', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'old-key')).statusCode, 200);
    const publishes = [{ session_id: 'old-key', stream: stream.id, key_generation: 1 }];
    t.same((await heartbeat(internal, 'origin-a', publishes)).json().disconnect, []);

    const srtReset = await call(app, token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'srt' });
    t.equal(srtReset.statusCode, 200);
    t.same((await heartbeat(internal, 'origin-a', publishes)).json().disconnect, [], 'an SRT reset leaves the RTMP publisher');

    const reset = await call(app, token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'rtmp' });
    const newKey = reset.json().data[0].stream_key;
    t.equal((await authorize(internal, newKey, 'origin-b', 'new-key')).statusCode, 200, 'the new key publishes at once');
    t.same((await heartbeat(internal, 'origin-a', publishes)).json().disconnect, ['old-key']);
    t.same(
      (await heartbeat(internal, 'origin-b', [{ session_id: 'new-key', stream: stream.id, key_generation: 3 }])).json().disconnect,
      [],
    );
  });

  t.test('deleting a stream cuts its publisher and drops its lease', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'doomed')).statusCode, 200);
    t.equal((await call(app, token, 'DELETE', `/v1/streams/${stream.id}`)).statusCode, 204);
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0);
    const answer = await heartbeat(internal, 'origin-a', [{ session_id: 'doomed', stream: stream.id, key_generation: 1 }]);
    t.same(answer.json().disconnect, ['doomed']);
    t.same(answer.json().ended, [stream.id], 'the origin ends the stream for good: no fallback, no reconnect window');
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0, 'the heartbeat does not bring the lease back');
  });

  t.test('a deleted stream the origin holds without a publisher (fallback playing) is named too; live ones are not', async (t) => {
    const kept = await createStream(app, token);
    const away = await createStream(app, token);
    t.equal((await call(app, token, 'DELETE', `/v1/streams/${away.id}`)).statusCode, 204);
    const answer = await heartbeat(internal, 'origin-a', [], [kept.id, away.id, 'golive']);
    t.equal(answer.statusCode, 200);
    t.same(answer.json().ended, [away.id]);
  });

  t.test('deleting a user cuts the publishers of its streams', async (t) => {
    const bob = await createUser(app, 'bob');
    const stream = await createStream(app, bob.token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'bobs')).statusCode, 200);
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${bob.id}`)).statusCode, 204);
    const answer = await heartbeat(internal, 'origin-a', [{ session_id: 'bobs', stream: stream.id, key_generation: 1 }]);
    t.same(answer.json().disconnect, ['bobs']);
    t.same(answer.json().ended, [stream.id]);
  });

  t.test('a session on a lease held by another session is cut; others in the heartbeat go on', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'holder')).statusCode, 200);
    t.equal((await authorize(internal, 'golive', 'origin-b', 'open')).statusCode, 200);
    const answer = await heartbeat(internal, 'origin-b', [
      { session_id: 'intruder', stream: stream.id, key_generation: 1 },
      { session_id: 'open', stream: 'golive', key_generation: 0 },
      { session_id: 'not-open', stream: 'other', key_generation: 0 },
      { session_id: 'unknown-stream', stream: 'zzzzzzzz', key_generation: 1 },
    ]);
    t.same(answer.json().disconnect, ['intruder', 'not-open', 'unknown-stream']);
    t.equal((await app.redis.hgetall(`publisher:${stream.id}`)).session_id, 'holder');
  });

  t.test('DELETE /ingests/{origin} releases the leases of its last reported publishes', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(internal, stream.rtmpKey, 'origin-c', 'leaving')).statusCode, 200);
    await heartbeat(internal, 'origin-c', [{ session_id: 'leaving', stream: stream.id, key_generation: 1 }]);
    const gone = await internal.inject({ method: 'DELETE', url: '/ingests/origin-c' });
    t.equal(gone.statusCode, 204);
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0);
    t.equal((await internal.inject({ method: 'DELETE', url: '/ingests/origin-c' })).statusCode, 204, 'idempotent');
  });

  t.test('heartbeat bodies are validated', async (t) => {
    const valid = {
      name: 'Origin',
      region: 'eu',
      priority: 1,
      url_templates: { rtmp: 'rtmp://h/stream/{stream_key}' },
      load: { streams: 0, bandwidth_bps: 0 },
      publishes: [],
    };
    const cases: [object, RegExp][] = [
      [{ ...valid, url_templates: { rtmp: 'http://h/{stream_key}' } }, /^body\.url_templates\.rtmp must match pattern/],
      [{ ...valid, url_templates: { rtmp: 'rtmp://h/stream' } }, /^body\.url_templates\.rtmp must match pattern/],
      [{ ...valid, url_templates: { rtmp: valid.url_templates.rtmp, srt: 'rtmp://x/{stream_key}' } }, /^body\.url_templates\.srt /],
      [{ ...valid, priority: -1 }, /^body\.priority must be >= 0/],
      [{ ...valid, load: { streams: 1 } }, /^body\.load\.bandwidth_bps is required$/],
      [{ ...valid, publishes: [{ session_id: 's', stream: 'a b', key_generation: 0 }] }, /^body\.publishes\.0\.stream /],
      [{ ...valid, publishes: undefined }, /^body\.publishes is required$/],
    ];
    for (const [payload, message] of cases) {
      const response = await internal.inject({ method: 'PUT', url: '/ingests/origin-v', payload });
      t.equal(response.statusCode, 400, JSON.stringify(payload));
      t.match(response.json().error.message, message);
    }
  });
});
