import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../test-support/wait-for.js';
import { startTestApi } from './fixtures/test-api.js';
import { createStream, createUser } from './fixtures/api-client.js';

t.test('streams on a real redis-server', async (t) => {
  const { app, internal } = await startTestApi(t, { routeTtlSeconds: 30, allowedStreams: ['*'] });
  const report = (body: unknown) => internal.inject({ method: 'POST', url: '/streams', payload: body as object });
  const lookup = (name: string) => internal.inject({ method: 'GET', url: `/streams/${name}` });

  t.test('POST registers and GET answers with the seed shape plus origins', async (t) => {
    const reportedAt = Date.now();
    const registered = await report({ name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080' });
    const answeredAt = Date.now();
    t.equal(registered.statusCode, 200);
    t.same(registered.json(), { name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080', state: 'live', ttl_seconds: 30 });

    const before = Date.now();
    const found = await lookup('golive');
    t.equal(found.statusCode, 200);
    const body = found.json();
    t.match(body, { name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080' });
    t.equal(body.origins.length, 1);
    const [origin] = body.origins;
    t.equal(origin.host, '127.0.0.1:8080');
    t.equal(origin.manifest, 'index.m3u8');
    t.ok(Date.parse(origin.registered_at) <= before, 'registered before the lookup');
    const expiresAt = Date.parse(origin.expires_at);
    t.ok(expiresAt >= reportedAt + 30_000 && expiresAt <= answeredAt + 30_000, 'expires the TTL after the report');
  });

  t.test('a stream nobody reported is 404 LIVE_ERR_STREAM_NOT_LIVE', async (t) => {
    const missing = await lookup('nobody');
    t.equal(missing.statusCode, 404);
    t.same(missing.json(), {
      error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "nobody" is not live: no origin has reported it within its TTL' },
    });
  });

  t.test('two origins: the newest registration is the host (where the publisher is), heartbeats keep the order', async (t) => {
    await report({ name: 'moved', manifest: 'index.m3u8', host: 'origin-a:8080' });
    const first = (await lookup('moved')).json();
    await sleep(5);
    await report({ name: 'moved', manifest: 'live/index.m3u8', host: 'origin-b:8080' });
    await sleep(5);
    // Heartbeats from both, the first origin last: each keeps its registration time.
    await report({ name: 'moved', manifest: 'live/index.m3u8', host: 'origin-b:8080' });
    await report({ name: 'moved', manifest: 'index.m3u8', host: 'origin-a:8080' });

    const body = (await lookup('moved')).json();
    t.equal(body.host, 'origin-b:8080');
    t.equal(body.manifest, 'live/index.m3u8');
    t.same(
      body.origins.map((origin: { host: string; manifest: string }) => [origin.host, origin.manifest]),
      [
        ['origin-b:8080', 'live/index.m3u8'],
        ['origin-a:8080', 'index.m3u8'],
      ],
    );
    t.equal(body.origins[1].registered_at, first.origins[0].registered_at, 'heartbeat keeps registered_at');
    t.ok(Date.parse(body.origins[1].expires_at) > Date.parse(first.origins[0].expires_at), 'heartbeat extends expires_at');
    t.ok(body.origins[0].registered_at > body.origins[1].registered_at);
  });

  t.test('DELETE with host withdraws that origin only; without host withdraws all', async (t) => {
    await report({ name: 'pair', manifest: 'index.m3u8', host: '10.0.0.1:8080' });
    await sleep(5);
    await report({ name: 'pair', manifest: 'index.m3u8', host: '10.0.0.2:8080' });

    const withdrawn = await internal.inject({ method: 'DELETE', url: '/streams/pair?host=10.0.0.2:8080' });
    t.equal(withdrawn.statusCode, 204);
    t.equal(withdrawn.body, '');
    const body = (await lookup('pair')).json();
    t.equal(body.host, '10.0.0.1:8080', 'the remaining origin takes over');
    t.equal(body.origins.length, 1);

    const again = await internal.inject({ method: 'DELETE', url: '/streams/pair?host=10.0.0.2:8080' });
    t.equal(again.statusCode, 204, 'idempotent');

    await report({ name: 'pair', manifest: 'index.m3u8', host: '10.0.0.3' });
    t.equal((await internal.inject({ method: 'DELETE', url: '/streams/pair' })).statusCode, 204);
    t.equal((await lookup('pair')).statusCode, 404);
    t.equal((await internal.inject({ method: 'DELETE', url: '/streams/pair' })).statusCode, 204, 'idempotent');
  });

  t.test('an origin withdrawn and registered again counts as registered last', async (t) => {
    await report({ name: 'again', manifest: 'index.m3u8', host: 'a.example' });
    await sleep(5);
    await report({ name: 'again', manifest: 'index.m3u8', host: 'b.example' });
    await internal.inject({ method: 'DELETE', url: '/streams/again?host=a.example' });
    await report({ name: 'again', manifest: 'index.m3u8', host: 'a.example' });
    const body = (await lookup('again')).json();
    t.same(
      body.origins.map((origin: { host: string }) => origin.host),
      ['a.example', 'b.example'],
      'and is preferred',
    );
  });

  t.test('validation failures are 400 LIVE_ERR_VALIDATION naming the field and value', async (t) => {
    const cases: [string, unknown, RegExp][] = [
      ['missing name', { manifest: 'index.m3u8', host: 'h' }, /^body\.name is required$/],
      ['missing manifest', { name: 'golive', host: 'h' }, /^body\.manifest is required$/],
      ['missing host', { name: 'golive', manifest: 'index.m3u8' }, /^body\.host is required$/],
      ['bad name', { name: 'go live', manifest: 'index.m3u8', host: 'h' }, /^body\.name must match pattern .*; got "go live"$/],
      ['absolute manifest', { name: 'golive', manifest: '/index.m3u8', host: 'h' }, /^body\.manifest must match .*; got "\/index.m3u8"$/],
      ['parent manifest', { name: 'golive', manifest: '../index.m3u8', host: 'h' }, /^body\.manifest .*; got "..\/index.m3u8"$/],
      ['not a playlist', { name: 'golive', manifest: 'index.ts', host: 'h' }, /^body\.manifest .*; got "index.ts"$/],
      ['host with path', { name: 'golive', manifest: 'index.m3u8', host: 'h:8080/x' }, /^body\.host .*; got "h:8080\/x"$/],
      ['host with scheme', { name: 'golive', manifest: 'index.m3u8', host: 'http://h' }, /^body\.host .*; got "http:\/\/h"$/],
      ['port out of range', { name: 'golive', manifest: 'index.m3u8', host: 'h:65536' }, /^body\.host .*; got "h:65536"$/],
      ['number name', { name: 42, manifest: 'index.m3u8', host: 'h' }, /^body\.name must be string; got 42$/],
    ];
    for (const [label, payload, message] of cases) {
      const response = await report(payload);
      t.equal(response.statusCode, 400, label);
      t.equal(response.json().error.code, 'LIVE_ERR_VALIDATION', label);
      t.match(response.json().error.message, message, label);
    }
    const accepted = ['h', 'origin-1.example.com:8080', '127.0.0.1:65535', '[::1]:8080'];
    for (const host of accepted) {
      t.equal((await report({ name: 'hosts', manifest: 'a/b_1/index.m3u8', host })).statusCode, 200, host);
    }

    const badParam = await lookup('bad.name');
    t.equal(badParam.statusCode, 400);
    t.match(badParam.json().error.message, /^params\.name must match pattern .*; got "bad.name"$/);

    const badQuery = await internal.inject({ method: 'DELETE', url: '/streams/golive?host=a%20b' });
    t.equal(badQuery.statusCode, 400);
    t.match(badQuery.json().error.message, /^querystring\.host must match pattern .*; got "a b"$/);
  });

  t.test('a body that is not JSON is 400 LIVE_ERR_MALFORMED_REQUEST', async (t) => {
    const response = await internal.inject({
      method: 'POST',
      url: '/streams',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    t.equal(response.statusCode, 400);
    t.equal(response.json().error.code, 'LIVE_ERR_MALFORMED_REQUEST');
  });

  t.test('a form body is 415 here (only /authorize takes forms)', async (t) => {
    const response = await internal.inject({
      method: 'POST',
      url: '/streams',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=golive&manifest=index.m3u8&host=h',
    });
    t.equal(response.statusCode, 415);
    t.same(response.json().error, {
      code: 'LIVE_ERR_UNSUPPORTED_MEDIA_TYPE',
      message: 'content-type "application/x-www-form-urlencoded" is not supported by this route',
    });
  });
});

t.test('a route expires after ROUTE_TTL_SECONDS without a refresh', async (t) => {
  const { app, internal } = await startTestApi(t, { routeTtlSeconds: 1, allowedStreams: ['*'] });
  const register = (host: string) =>
    internal.inject({ method: 'POST', url: '/streams', payload: { name: 'brief', manifest: 'index.m3u8', host } });
  const lookup = () => internal.inject('/streams/brief');

  t.equal((await register('early:8080')).json().ttl_seconds, 1);
  await register('late:8080');
  t.equal((await lookup()).json().host, 'late:8080');

  // `early` keeps reporting while `late` stops: `late` drops out on its own TTL.
  const afterLateExpired = await waitFor('the newer origin to expire', async () => {
    await register('early:8080');
    const body = (await lookup()).json();
    return body.host === 'early:8080' ? body : undefined;
  });
  t.same(
    afterLateExpired.origins.map((origin: { host: string }) => origin.host),
    ['early:8080'],
    'the expired origin drops out, the live one takes over',
  );

  const gone = await waitFor('the route to expire', async () => {
    const response = await lookup();
    return response.statusCode === 200 ? undefined : response;
  });
  t.equal(gone.statusCode, 404, 'no origin refreshed: the route is gone');
  t.equal(gone.json().error.code, 'LIVE_ERR_STREAM_NOT_LIVE');
  await waitFor('the keys to expire in Redis too', async () => (await app.redis.keys('live:*')).length === 0);
});

t.test('an ended stream is offered, as ended, for its grace period; a live origin wins over it', async (t) => {
  const { app, internal } = await startTestApi(t, { routeTtlSeconds: 30, allowedStreams: ['*'] });
  const report = (body: object) => internal.inject({ method: 'POST', url: '/streams', payload: body });
  const lookup = (name: string) => internal.inject(`/streams/${name}`);

  await report({ name: 'show', manifest: 'index.m3u8', host: 'a:8080' });
  const endingAt = Date.now();
  const ended = await report({ name: 'show', manifest: 'index.m3u8', host: 'a:8080', state: 'ended', grace_seconds: 45 });
  const endedAt = Date.now();
  t.equal(ended.statusCode, 200);
  t.same(ended.json(), { name: 'show', manifest: 'index.m3u8', host: 'a:8080', state: 'ended', ttl_seconds: 45 });

  const body = (await lookup('show')).json();
  t.match(body, { name: 'show', manifest: 'index.m3u8', host: 'a:8080', state: 'ended' });
  t.equal(body.origins.length, 1);
  t.equal(body.origins[0].state, 'ended');
  t.type(body.origins[0].ended_at, 'string');
  const expiresAt = Date.parse(body.origins[0].expires_at);
  t.ok(expiresAt >= endingAt + 45_000 && expiresAt <= endedAt + 45_000, 'kept for the grace period after the end');

  await report({ name: 'show', manifest: 'index.m3u8', host: 'b:8080' });
  const moved = (await lookup('show')).json();
  t.equal(moved.state, 'live');
  t.equal(moved.host, 'b:8080', 'a live origin is preferred to the ended one');
  t.same(
    moved.origins.map((origin: { host: string; state: string; ended_at: string | null }) => [origin.host, origin.state, origin.ended_at]),
    [['b:8080', 'live', null]],
    'only live origins are offered while one is live',
  );

  const defaulted = await report({ name: 'quiet', manifest: 'index.m3u8', host: 'a:8080', state: 'ended' });
  t.equal(defaulted.json().ttl_seconds, 30, 'grace defaults to ROUTE_TTL_SECONDS');

  for (const grace of [0, 86_401, 1.5]) {
    const refused = await report({ name: 'show', manifest: 'index.m3u8', host: 'a:8080', state: 'ended', grace_seconds: grace });
    t.equal(refused.statusCode, 400, `grace_seconds ${grace} refused`);
    t.match(refused.json().error.message, /^body\.grace_seconds /);
  }
  const badState = await report({ name: 'show', manifest: 'index.m3u8', host: 'a:8080', state: 'gone' });
  t.equal(badState.statusCode, 400);
  t.match(badState.json().error.message, /^body\.state /);
});

t.test('a report for a name the API does not know is refused and creates no route', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const report = (name: string, extra: object = {}) =>
    internal.inject({ method: 'POST', url: '/streams', payload: { name, manifest: 'index.m3u8', host: '10.0.0.1:8080', ...extra } });
  const lookup = (name: string) => internal.inject({ method: 'GET', url: `/streams/${name}` });

  for (const [what, name] of [
    ['a name that is not open', 'notopen'],
    ['an id-shaped name without a stream', 'zzzzzzzz'],
  ] as const) {
    for (const state of ['live', 'ended'] as const) {
      const refused = await report(name, { state });
      t.equal(refused.statusCode, 404, `${what}, ${state}`);
      t.equal(refused.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
      t.match(refused.json().error.message, name);
    }
    const unknown = await lookup(name);
    t.equal(unknown.statusCode, 404, `${what}: no route`);
    t.same(unknown.json().error, { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: `stream "${name}" does not exist` }, `${what}: no such stream, not merely not live`);
    t.same(await app.redis.keys(`*${name}*`), [], `${what}: nothing written`);
  }

  t.equal((await report('golive')).statusCode, 200, 'an open name is routed');
  t.equal((await report(stream.id)).statusCode, 200, 'an existing stream is routed');
  t.equal((await lookup(stream.id)).statusCode, 200);

  t.equal((await app.inject({ method: 'DELETE', url: `/v1/streams/${stream.id}`, headers: { authorization: `Bearer ${token}` } })).statusCode, 204);
  t.same(await app.redis.keys(`live:*${stream.id}*`), [], 'deleting the stream removes its route keys');
  const deleted = await lookup(stream.id);
  t.equal(deleted.statusCode, 404);
  t.equal(deleted.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND', 'a deleted stream is no such stream: edges stop it at once');
  t.equal((await report(stream.id)).statusCode, 404, 'a deleted stream cannot be routed again');
  t.same(await app.redis.keys(`live:*${stream.id}*`), []);
});
