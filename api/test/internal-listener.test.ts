/**
 * The internal routes live on their own listener and need INTERNAL_TOKEN: without it, or with a
 * wrong one, every one of them answers 401 and changes nothing; the public listener does not
 * answer them at all.
 */
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { TEST_INTERNAL_TOKEN, startTestApi } from './fixtures/test-api.js';

const HEARTBEAT = {
  name: 'Attacker',
  region: 'evil',
  priority: 0,
  url_templates: { rtmp: 'rtmp://phishing.example/stream/{stream_key}' },
  load: { streams: 0, bandwidth_bps: 0 },
  publishes: [],
};

/** Every internal route, as an attacker would call it against stream `id` with key `key`. */
function internalRequests(id: string, key: string): InjectOptions[] {
  const form = new URLSearchParams({ call: 'publish', app: 'stream', name: key }).toString();
  return [
    { method: 'GET', url: `/authorize?name=${key}&origin_id=evil&session_id=evil-1` },
    { method: 'POST', url: '/authorize', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form },
    { method: 'PUT', url: '/ingests/evil', payload: HEARTBEAT },
    { method: 'DELETE', url: `/ingests/origin-1/publishes/honest-1?stream=${id}` },
    { method: 'DELETE', url: '/ingests/origin-1' },
    { method: 'POST', url: '/streams', payload: { name: id, manifest: 'index.m3u8', host: 'evil.example:80' } },
    { method: 'GET', url: `/streams/${id}` },
    { method: 'DELETE', url: `/streams/${id}` },
    { method: 'DELETE', url: `/streams/${id}?host=10.0.0.1:8080` },
    { method: 'POST', url: '/views', payload: { streams: { [id]: ['session-0001', 'session-0002'] } } },
    { method: 'GET', url: `/streams/${id}/views` },
    { method: 'GET', url: `/internal/streams/${id}/restream` },
    {
      method: 'PUT',
      url: `/internal/streams/${id}/restream-status`,
      payload: { origin_id: 'evil', targets: [] },
    },
    { method: 'GET', url: `/internal/streams/${id}/fallback` },
    { method: 'GET', url: '/openapi.json' },
  ];
}

const describe = (request: InjectOptions) => `${request.method} ${String(request.url).split('?')[0]}`;

t.test('without INTERNAL_TOKEN or with a wrong one: 401 on every internal route, and nothing changes', async (t) => {
  const { app, internal, internalApp } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const targetKey = 'live_1234_the-real-twitch-key';
  const target = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: targetKey });
  t.equal(target.statusCode, 201);
  // The honest state an attacker would change: an origin, its publisher holding the lease, a route.
  const heartbeat = { ...HEARTBEAT, name: 'Honest', region: 'eu', priority: 1, url_templates: { rtmp: 'rtmp://ingest.example/stream/{stream_key}' } };
  t.equal((await internal.inject(`/authorize?name=${stream.rtmpKey}&origin_id=origin-1&session_id=honest-1`)).statusCode, 200);
  t.equal((await internal.inject({ method: 'PUT', url: '/ingests/origin-1', payload: { ...heartbeat, publishes: [{ session_id: 'honest-1', stream: stream.id, key_generation: 1 }] } })).statusCode, 200);
  t.equal((await internal.inject({ method: 'POST', url: '/streams', payload: { name: stream.id, manifest: 'index.m3u8', host: '10.0.0.1:8080' } })).statusCode, 200);
  const before = {
    route: (await internal.inject(`/streams/${stream.id}`)).json(),
    ingests: (await call(app, alice.token, 'GET', '/v1/ingests?protocol=rtmp')).json(),
    lease: await app.redis.hgetall(`publisher:${stream.id}`),
  };

  const credentials: Record<string, Record<string, string>> = {
    'no token': {},
    'a wrong token': { authorization: `Bearer ${TEST_INTERNAL_TOKEN.slice(0, -1)}x` },
    'the token without "Bearer"': { authorization: TEST_INTERNAL_TOKEN },
    'another scheme': { authorization: `Basic ${Buffer.from(`x:${TEST_INTERNAL_TOKEN}`).toString('base64')}` },
  };
  for (const [what, headers] of Object.entries(credentials)) {
    for (const request of internalRequests(stream.id, stream.rtmpKey)) {
      const answer = await internalApp.inject({ ...request, headers: { ...request.headers, ...headers } });
      t.equal(answer.statusCode, 401, `${describe(request)} with ${what}`);
      t.match(answer.headers['content-type'], /^application\/json/);
      t.equal(answer.json().error.code, 'LIVE_ERR_UNAUTHORIZED');
      t.match(answer.headers['www-authenticate'], /^Bearer realm="livestack-internal"/);
      t.notMatch(answer.body, targetKey, "no target's key in the answer");
      t.notMatch(answer.body, TEST_INTERNAL_TOKEN.slice(0, 20), 'the token is never echoed');
    }
  }
  // A wrong token in the query string opens nothing either, on /authorize or anywhere else.
  const wrongQuery = `internal_token=${TEST_INTERNAL_TOKEN.slice(0, -1)}x`;
  t.equal((await internalApp.inject(`/authorize?name=${stream.rtmpKey}&session_id=evil-2&${wrongQuery}`)).statusCode, 401);

  t.same((await internal.inject(`/streams/${stream.id}`)).json(), before.route, 'the route is not repointed, ended or withdrawn');
  t.same((await call(app, alice.token, 'GET', '/v1/ingests?protocol=rtmp')).json(), before.ingests, 'no ingest server listed or removed');
  t.same(await app.redis.hgetall(`publisher:${stream.id}`), before.lease, 'the lease is neither taken nor released');
  t.equal((await internal.inject(`/streams/${stream.id}/views`)).json().liveViewers, 0, 'no viewer counted');
  const targets = (await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data;
  t.equal(targets[0].status, null, 'no push status forged');
});

t.test('a malformed body without the token is 401, not a 400 that describes it', async (t) => {
  const { internalApp } = await startTestApi(t);
  const answer = await internalApp.inject({ method: 'POST', url: '/streams', payload: { name: 'a b' } });
  t.equal(answer.statusCode, 401);
  t.notMatch(answer.body, /body\.name/);
});

t.test('nginx-rtmp may send the token as ?internal_token=, on /authorize only', async (t) => {
  const { internalApp } = await startTestApi(t, { allowedStreams: ['golive'] });
  const token = `internal_token=${TEST_INTERNAL_TOKEN}`;
  const get = await internalApp.inject(`/authorize?name=golive&session_id=nginx-1&${token}`);
  t.equal(get.statusCode, 200);
  t.same(get.json(), { allowed: true, name: 'golive', key_generation: 0, recording: { mode: 'off', timeout_seconds: 0 } });
  const post = await internalApp.inject({
    method: 'POST',
    url: `/authorize?${token}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'call=publish&app=stream&name=golive',
  });
  t.equal(post.statusCode, 409, 'authorized; the lease is held by the first session');
  t.equal(post.json().error.code, 'LIVE_ERR_ALREADY_PUBLISHING');
  for (const url of ['/streams/golive', '/streams/golive/views', '/internal/streams/golive/restream', '/openapi.json']) {
    t.equal((await internalApp.inject(`${url}?${token}`)).statusCode, 401, `${url} does not take the query token`);
  }
});

t.test('the public listener answers no internal route, even with the token; /health on both', async (t) => {
  const { app, internalApp } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  for (const request of internalRequests(stream.id, stream.rtmpKey)) {
    if (request.url === '/openapi.json') continue;
    const answer = await app.inject({ ...request, headers: { ...request.headers, authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    t.equal(answer.statusCode, 404, describe(request));
    t.equal(answer.json().error.code, 'LIVE_ERR_ROUTE_NOT_FOUND');
  }
  t.equal((await internalApp.inject({ method: 'GET', url: '/v1/streams', headers: { authorization: `Bearer ${alice.token}` } })).statusCode, 404, 'nor the internal one /v1');
  for (const listener of [app, internalApp]) {
    const health = await listener.inject('/health');
    t.equal(health.statusCode, 200);
    t.same(health.json(), { status: 'ok' });
  }
});

t.test('rotating INTERNAL_TOKEN: the current and the previous token both work, any other is 401', async (t) => {
  const previous = 'previous-internal-token-0123456789abcdef';
  const { internalApp } = await startTestApi(t, { previousInternalToken: previous });
  const ask = (token: string) => internalApp.inject({ method: 'GET', url: '/streams/nothing-here', headers: { authorization: `Bearer ${token}` } });
  t.not((await ask(TEST_INTERNAL_TOKEN)).statusCode, 401, 'the new token works');
  t.not((await ask(previous)).statusCode, 401, 'the previous token still works while services move');
  t.equal((await ask(`${previous.slice(0, -1)}x`)).statusCode, 401, 'anything else is refused');
  t.equal((await ask('')).statusCode, 401);
});
