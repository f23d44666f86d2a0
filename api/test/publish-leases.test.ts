import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../src/app.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

const authorize = (app: App, name: string, origin: string, session: string) =>
  app.inject(`/authorize?${new URLSearchParams({ name, app: 'stream', origin_id: origin, session_id: session })}`);

interface Publish {
  session_id: string;
  stream: string;
  key_generation: number;
}

function heartbeat(app: App, origin: string, publishes: Publish[]) {
  return app.inject({
    method: 'PUT',
    url: `/ingests/${origin}`,
    payload: {
      name: `Origin ${origin}`,
      region: 'eu-central',
      priority: 1,
      url_templates: { rtmp: `rtmp://${origin}.example:1935/stream/{stream_key}` },
      load: { streams: publishes.length, bandwidth_bps: 0 },
      publishes,
    },
  });
}

const released = (app: App, origin: string, session: string, stream: string) =>
  app.inject({ method: 'DELETE', url: `/ingests/${origin}/publishes/${session}?stream=${stream}` });

t.test('one publisher per stream, across origins', async (t) => {
  const { app } = await startTestApi(t, { allowedStreams: ['golive'] });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  t.test('a second session is refused with 409 while the first holds the lease', async (t) => {
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'first')).statusCode, 200);
    const lease = await app.redis.hgetall(`publisher:${stream.id}`);
    t.match(lease, { origin_id: 'origin-a', session_id: 'first', started_at: /Z$/ });
    const ttl = await app.redis.pttl(`publisher:${stream.id}`);
    t.ok(ttl > 4000 && ttl <= 5000, `lease TTL is PUBLISH_LEASE_SECONDS (${ttl} ms)`);

    const second = await authorize(app, stream.rtmpKey, 'origin-b', 'second');
    t.equal(second.statusCode, 409);
    t.same(second.json().error, {
      code: 'LIVE_ERR_ALREADY_PUBLISHING',
      message: `stream "${stream.id}" already has a live publisher; the new publish is refused`,
    });
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'first')).statusCode, 200, 'the holder may ask again');
    t.equal((await app.redis.hgetall(`publisher:${stream.id}`)).session_id, 'first', 'the live one keeps the lease');
  });

  t.test('the lease is released when its publisher leaves, and only by it', async (t) => {
    t.equal((await released(app, 'origin-b', 'second', stream.id)).statusCode, 204, 'another session: no effect');
    t.equal((await authorize(app, stream.rtmpKey, 'origin-b', 'second')).statusCode, 409);
    const left = await released(app, 'origin-a', 'first', stream.id);
    t.equal(left.statusCode, 204);
    t.equal(left.body, '');
    t.equal((await released(app, 'origin-a', 'first', stream.id)).statusCode, 204, 'idempotent');
    t.equal((await authorize(app, stream.rtmpKey, 'origin-b', 'second')).statusCode, 200, 'now free');
    await released(app, 'origin-b', 'second', stream.id);
  });

  t.test('concurrent publishes: exactly one wins the lease', async (t) => {
    const race = await createStream(app, token, 'Race');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => authorize(app, race.rtmpKey, `origin-${i}`, `racer-${i}`)),
    );
    const codes = answers.map((answer) => answer.statusCode).sort();
    t.same(codes, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
  });

  t.test('open names have leases too', async (t) => {
    t.equal((await authorize(app, 'golive', 'origin-a', 'open-1')).statusCode, 200);
    t.equal((await authorize(app, 'golive', 'origin-b', 'open-2')).statusCode, 409);
    await released(app, 'origin-a', 'open-1', 'golive');
  });

  t.test('the internal routes validate their input', async (t) => {
    const noStream = await app.inject({ method: 'DELETE', url: '/ingests/origin-a/publishes/s1' });
    t.equal(noStream.statusCode, 400);
    t.same(noStream.json().error, { code: 'LIVE_ERR_VALIDATION', message: 'querystring.stream is required' });
    const badOrigin = await app.inject({ method: 'DELETE', url: '/ingests/.bad' });
    t.equal(badOrigin.statusCode, 400);
    t.match(badOrigin.json().error.message, /^params\.origin_id must match pattern/);
  });
});

t.test('heartbeats renew leases and name the sessions to disconnect', async (t) => {
  const { app } = await startTestApi(t, { publishLeaseSeconds: 1, allowedStreams: ['golive'] });
  const { token } = await createUser(app, 'alice');

  t.test('a lease lapses without heartbeats, and heartbeats keep it', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'lapsed')).statusCode, 200);
    await sleep(1100);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-b', 'kept')).statusCode, 200, 'free after PUBLISH_LEASE_SECONDS');

    for (let i = 0; i < 4; i++) {
      await sleep(400);
      const answer = await heartbeat(app, 'origin-b', [{ session_id: 'kept', stream: stream.id, key_generation: 1 }]);
      t.same(answer.json(), { ttl_seconds: 10, disconnect: [], restream: { [stream.id]: 0 } });
    }
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'late')).statusCode, 409, 'renewed past the lease time');

    const lapsed = await heartbeat(app, 'origin-a', [{ session_id: 'lapsed', stream: stream.id, key_generation: 1 }]);
    t.same(lapsed.json().disconnect, ['lapsed'], 'the session that lost its lease is cut');
  });

  t.test('a key reset cuts the publisher of the old key, at once free for the new key', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'old-key')).statusCode, 200);
    const publishes = [{ session_id: 'old-key', stream: stream.id, key_generation: 1 }];
    t.same((await heartbeat(app, 'origin-a', publishes)).json().disconnect, []);

    const srtReset = await call(app, token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'srt' });
    t.equal(srtReset.statusCode, 200);
    t.same((await heartbeat(app, 'origin-a', publishes)).json().disconnect, [], 'an SRT reset leaves the RTMP publisher');

    const reset = await call(app, token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'rtmp' });
    const newKey = reset.json().data[0].stream_key;
    t.equal((await authorize(app, newKey, 'origin-b', 'new-key')).statusCode, 200, 'the new key publishes at once');
    t.same((await heartbeat(app, 'origin-a', publishes)).json().disconnect, ['old-key']);
    t.same(
      (await heartbeat(app, 'origin-b', [{ session_id: 'new-key', stream: stream.id, key_generation: 3 }])).json().disconnect,
      [],
    );
  });

  t.test('deleting a stream cuts its publisher and drops its lease', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'doomed')).statusCode, 200);
    t.equal((await call(app, token, 'DELETE', `/v1/streams/${stream.id}`)).statusCode, 204);
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0);
    const answer = await heartbeat(app, 'origin-a', [{ session_id: 'doomed', stream: stream.id, key_generation: 1 }]);
    t.same(answer.json().disconnect, ['doomed']);
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0, 'the heartbeat does not bring the lease back');
  });

  t.test('deleting a user cuts the publishers of its streams', async (t) => {
    const bob = await createUser(app, 'bob');
    const stream = await createStream(app, bob.token);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'bobs')).statusCode, 200);
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${bob.id}`)).statusCode, 204);
    const answer = await heartbeat(app, 'origin-a', [{ session_id: 'bobs', stream: stream.id, key_generation: 1 }]);
    t.same(answer.json().disconnect, ['bobs']);
  });

  t.test('a session on a lease held by another session is cut; others in the heartbeat go on', async (t) => {
    const stream = await createStream(app, token);
    t.equal((await authorize(app, stream.rtmpKey, 'origin-a', 'holder')).statusCode, 200);
    t.equal((await authorize(app, 'golive', 'origin-b', 'open')).statusCode, 200);
    const answer = await heartbeat(app, 'origin-b', [
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
    t.equal((await authorize(app, stream.rtmpKey, 'origin-c', 'leaving')).statusCode, 200);
    await heartbeat(app, 'origin-c', [{ session_id: 'leaving', stream: stream.id, key_generation: 1 }]);
    const gone = await app.inject({ method: 'DELETE', url: '/ingests/origin-c' });
    t.equal(gone.statusCode, 204);
    t.equal(await app.redis.exists(`publisher:${stream.id}`), 0);
    t.equal((await app.inject({ method: 'DELETE', url: '/ingests/origin-c' })).statusCode, 204, 'idempotent');
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
      const response = await app.inject({ method: 'PUT', url: '/ingests/origin-v', payload });
      t.equal(response.statusCode, 400, JSON.stringify(payload));
      t.match(response.json().error.message, message);
    }
  });
});
