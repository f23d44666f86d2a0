/**
 * The one internal API client over real HTTP: every call against the real API (on a real
 * redis-server), and its deadlines and failures against a scripted fastify server.
 */
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { call, createStream, createUser } from '../../api/test/fixtures/api-client.js';
import { ADMIN_TOKEN, TEST_INTERNAL_TOKEN, startTestApi } from '../../api/test/fixtures/test-api.js';
import { within } from '../../edge/test/fixtures/within.js';
import { freePort } from '../../test-support/free-port.js';
import { waitFor } from '../../test-support/wait-for.js';
import { InternalApiClient } from '../src/internal-api-client.js';
import {
  InternalApiBadAnswerError,
  InternalApiRefusedError,
  InternalApiUnavailableError,
  isRetryable,
} from '../src/internal-api-errors.js';
import { startScriptedApi } from './fixtures/scripted-api.js';

function clientOf(t: Test, apiUrl: string, { timeoutMs = 30_000, connections = 4, token = TEST_INTERNAL_TOKEN } = {}): InternalApiClient {
  const client = new InternalApiClient({ apiUrl, token, timeoutMs, connections });
  t.teardown(() => client.close());
  return client;
}

/** The real API's both listeners on a real redis-server; the internal one listening on a free port. */
async function realApi(t: Test) {
  const api = await startTestApi(t, { allowedStreams: ['golive'], allowPrivateTargets: true });
  const internalUrl = await api.internalApp.listen({ port: 0, host: '127.0.0.1' });
  return { ...api, internalUrl };
}

const HEARTBEAT = {
  name: 'Origin A',
  region: 'eu-central',
  priority: 1,
  url_templates: { rtmp: 'rtmp://a.ingest.example/stream/{stream_key}' },
  load: { streams: 1, bandwidth_bps: 2_500_000 },
};

t.test('against the real API', async (t) => {
  const { app, internalUrl } = await realApi(t);
  const client = clientOf(t, internalUrl);
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);

  t.test('authorize: a key resolves to its stream id and takes the lease; refusals carry the API code', async (t) => {
    const allowed = await client.authorize({ name: stream.rtmpKey, app: 'stream', addr: '10.1.1.1', origin_id: 'origin-a', session_id: 's1' });
    t.same(allowed, { allowed: true, name: stream.id, key_generation: 1, recording: { mode: 'automatic', timeout_seconds: 0 } });
    t.match(await app.redis.hgetall(`publisher:${stream.id}`), { origin_id: 'origin-a', session_id: 's1' }, 'the lease names who asked');
    const taken = await client.authorize({ name: stream.rtmpKey, origin_id: 'origin-b', session_id: 's2' }).catch((error: unknown) => error);
    t.ok(taken instanceof InternalApiRefusedError);
    t.match(taken, { status: 409, errorCode: 'LIVE_ERR_ALREADY_PUBLISHING', request: 'GET /authorize' });
    t.notOk(isRetryable(taken), 'a refusal is not retried');
    const denied = await client.authorize({ name: 'intruder', session_id: 's3' }).catch((error: unknown) => error);
    t.match(denied, { status: 403, errorCode: 'LIVE_ERR_PUBLISH_DENIED' });
    t.notMatch((denied as Error).message, stream.rtmpKey.slice(-10), 'no key in the message');
  });

  t.test('heartbeat, publisher left and leave', async (t) => {
    const answer = await client.heartbeat('origin-a', { ...HEARTBEAT, publishes: [{ session_id: 's1', stream: stream.id, key_generation: 1 }] });
    t.same(answer, { ttl_seconds: 10, disconnect: [], ended: [], handed_over: [], restream: { [stream.id]: 0 } });
    const deleted = await client.heartbeat('origin-a', { ...HEARTBEAT, publishes: [], waiting: ['zzzzzzzz'] });
    t.same(deleted.ended, ['zzzzzzzz'], 'a stream that no longer exists is to be ended');
    const listed = (await call(app, alice.token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests;
    t.match(listed, [{ name: 'Origin A', region: 'eu-central' }]);
    const cut = await client.heartbeat('origin-a', { ...HEARTBEAT, publishes: [{ session_id: 'not-holding', stream: stream.id, key_generation: 1 }] });
    t.same(cut.disconnect, ['not-holding'], 'a session without the lease is cut');
    await client.publisherLeft('origin-a', 's1', stream.id);
    t.equal(await app.redis.hget(`publisher:${stream.id}`, 'state'), 'waiting', 'the lease waits for the next publisher');
    const away = await client.heartbeat('origin-a', { ...HEARTBEAT, publishes: [], waiting: [stream.id] });
    t.same(away.handed_over, [], 'the origin keeps the stream while nobody else took it');
    await client.leave('origin-a');
    t.same((await call(app, alice.token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests, [], 'the origin is unlisted');
  });

  t.test('routes: report, look up, end, withdraw', async (t) => {
    t.equal(await client.lookupRoute('golive'), 'not-live');
    t.equal(await client.lookupRoute('zzzzzzzz'), 'no-such-stream', 'an id without a stream');
    t.equal(await client.lookupRoute('notopen'), 'no-such-stream', 'a name that is not open');
    const registered = await client.reportStream({ name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080' });
    t.same(registered, { name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080', state: 'live', ttl_seconds: 30 });
    const route = await client.lookupRoute('golive');
    t.match(route, {
      name: 'golive',
      host: '127.0.0.1:8080',
      state: 'live',
      origins: [{ host: '127.0.0.1:8080', manifest: 'index.m3u8', ended_at: null }],
      playback: { require_signed_urls: false, allowed_origins: [] },
    });
    await client.reportStream({ name: 'golive', manifest: 'index.m3u8', host: '127.0.0.1:8080', state: 'ended', grace_seconds: 60 });
    t.match(await client.lookupRoute('golive'), { state: 'ended' });
    await client.withdrawStream('golive', '127.0.0.1:8080');
    t.equal(await client.lookupRoute('golive'), 'not-live');
    await client.withdrawStream('golive');
    t.pass('withdrawing again is fine (idempotent)');
  });

  t.test('viewers: sightings and the live count', async (t) => {
    await client.reportViews({ [stream.id]: ['viewer-0001', 'viewer-0002'], golive: ['viewer-0003'] });
    t.equal(await client.liveViewers(stream.id), 2);
    t.equal(await client.liveViewers('golive'), 1);
  });

  t.test('restream: the configuration with the real keys, status reports, no fallback', async (t) => {
    const key = 'live_1234_the-real-key';
    const target = (await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: key })).json();
    const config = await client.restreamConfig(stream.id);
    t.same(config, {
      version: 1,
      targets: [{ id: target.id, url: 'rtmp://live.twitch.tv/app', stream_key: key, enabled: true, retry: { attempts: 3, delay_s: 2 } }],
      fallback: null,
    });
    const since = new Date().toISOString();
    await client.reportRestreamStatus(stream.id, {
      origin_id: 'origin-a',
      targets: [{ id: target.id, state: 'live', since, bytes_sent: 10, bitrate_bps: 80, attempts: 0, last_error: null, skipped_keyframes: 0 }],
    });
    const shown = (await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data[0];
    t.match(shown.status, { state: 'live', since, bytes_sent: 10 });
    const missing = await client.downloadFallback(stream.id, 30_000).catch((error: unknown) => error);
    t.match(missing, { status: 404, errorCode: 'LIVE_ERR_FALLBACK_NOT_FOUND', request: 'GET /internal/streams/:id/fallback' });
    const unknown = await client.restreamConfig('zzzzzzzz').catch((error: unknown) => error);
    t.match(unknown, { status: 404, errorCode: 'LIVE_ERR_STREAM_NOT_FOUND' });
  });

  t.test('videos: report, look up, deleted through /v1, then keep: false', async (t) => {
    const uid = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const recording = {
      stream: stream.id,
      origin_id: 'origin-a',
      origin_host: '127.0.0.1:8080',
      state: 'ready' as const,
      created: '2026-01-01T00:00:00.000Z',
      ended: '2026-01-01T00:10:00.000Z',
      duration_s: 600,
      size_bytes: 187_500_000,
      width: 1280,
      height: 720,
    };
    t.same(await client.reportVideo(uid, recording), { keep: true });
    t.same(await client.lookupVideo(uid), {
      stream: stream.id,
      origin_host: '127.0.0.1:8080',
      state: 'ready',
      require_signed_urls: false,
      allowed_origins: [],
    });
    t.equal(await client.lookupVideo('0'.repeat(32)), null, 'an unknown video');
    t.equal((await call(app, alice.token, 'DELETE', `/v1/videos/${uid}`)).statusCode, 204);
    t.equal(await client.lookupVideo(uid), null, 'a deleted one');
    t.same(await client.reportVideo(uid, recording), { keep: false }, 'the origin is told to remove it');
    const kept = 'c0ffee00c0ffee00c0ffee00c0ffee01';
    t.same(await client.reportVideo(kept, recording), { keep: true });
    await client.withdrawVideo(kept, 'origin-a');
    t.equal(await client.lookupVideo(kept), null, 'withdrawn by its origin');
    await client.withdrawVideo(kept, 'origin-a');
    t.pass('withdrawing again is fine (idempotent)');
    const refused = await client.reportVideo(uid, { ...recording, duration_s: -1 }).catch((error: unknown) => error);
    t.match(refused, { status: 400, errorCode: 'LIVE_ERR_VALIDATION', request: 'PUT /internal/videos/:uid' });
  });

  t.test('a wrong INTERNAL_TOKEN is refused with 401, and not retried', async (t) => {
    const stranger = clientOf(t, internalUrl, { token: 'x'.repeat(40) });
    const refused = await stranger.lookupRoute('golive').catch((error: unknown) => error);
    t.ok(refused instanceof InternalApiRefusedError);
    t.match(refused, { status: 401, errorCode: 'LIVE_ERR_UNAUTHORIZED' });
    t.notOk(isRetryable(refused));
    t.equal((await call(app, ADMIN_TOKEN, 'GET', '/v1/users')).statusCode, 200, 'the public listener is unaffected');
  });
});

t.test('every request carries the token, under the path prefix of API_URL, over one kept-alive connection', async (t) => {
  const api = await startScriptedApi(t, (_request, reply) => reply.code(204).send());
  const client = clientOf(t, `${api.url}/private/`, { connections: 1 });
  for (let i = 0; i < 5; i++) await client.withdrawStream('golive', '10.0.0.1:8080');
  await client.reportViews({ golive: ['viewer-0001'] });
  t.same(
    api.seen.map(({ method, url }) => `${method} ${url}`),
    [...Array.from({ length: 5 }, () => 'DELETE /private/streams/golive?host=10.0.0.1%3A8080'), 'POST /private/views'],
  );
  t.ok(api.seen.every((seen) => seen.authorization === `Bearer ${TEST_INTERNAL_TOKEN}`), 'Authorization: Bearer <INTERNAL_TOKEN>');
  t.equal(new Set(api.seen.slice(0, 5).map((seen) => seen.remotePort)).size, 1, 'one live-path connection, reused');
  await client.close();
  await client.close();
  t.pass('closing twice is fine');
});

t.test('failures', async (t) => {
  t.test('an API that never answers: unavailable once the deadline passes', async (t) => {
    const api = await startScriptedApi(t, () => new Promise(() => undefined));
    const client = clientOf(t, api.url, { timeoutMs: 300 });
    // Only the client's own deadline can end this; the limit only turns a hang into a failure.
    const error = await within('the request to give up', client.lookupRoute('golive').catch((failure: unknown) => failure), 30_000);
    t.ok(error instanceof InternalApiUnavailableError);
    t.match(error, { code: 'LIVE_ERR_INTERNAL_API_UNAVAILABLE', message: 'GET /streams/:name: the API did not answer within 300 ms' });
    t.ok(isRetryable(error));
    t.equal(api.seen.length, 1, 'while the API still held the request');
  });

  t.test('an answer whose body stalls: unavailable once the deadline passes', async (t) => {
    const api = await startScriptedApi(t, (_request, reply) => {
      const body = new Readable({ read() {} });
      body.push('{"ttl_seconds":');
      return reply.code(200).header('content-type', 'application/json').send(body);
    });
    const client = clientOf(t, api.url, { timeoutMs: 300 });
    const error = await within('the request to give up', client.heartbeat('o', { ...HEARTBEAT, publishes: [] }).catch((failure: unknown) => failure), 30_000);
    t.match(error, { code: 'LIVE_ERR_INTERNAL_API_UNAVAILABLE', message: /did not answer within 300 ms/ });
  });

  t.test('nobody listening: unavailable, naming the refusal', async (t) => {
    const client = clientOf(t, `http://127.0.0.1:${await freePort()}`);
    const error = await client.reportStream({ name: 'a', manifest: 'index.m3u8', host: 'h:1' }).catch((failure: unknown) => failure);
    t.match(error, { code: 'LIVE_ERR_INTERNAL_API_UNAVAILABLE', message: /^POST \/streams: the API is unreachable \(ECONNREFUSED/ });
  });

  t.test('5xx, 408 and 429 are unavailable; other 4xx refused, with the API code when it sends one', async (t) => {
    let status = 503;
    const api = await startScriptedApi(t, (_request, reply) =>
      reply.code(status).send({ error: { code: 'LIVE_ERR_STORE_UNAVAILABLE', message: 'store (Redis) is unavailable' } }),
    );
    const client = clientOf(t, api.url);
    for (status of [500, 503, 408, 429]) {
      const error = await client.liveViewers('golive').catch((failure: unknown) => failure);
      t.ok(error instanceof InternalApiUnavailableError, `${status}`);
      t.match(error, { status });
    }
    status = 400;
    t.match(await client.liveViewers('golive').catch((failure: unknown) => failure), {
      code: 'LIVE_ERR_INTERNAL_API_REFUSED',
      status: 400,
      errorCode: 'LIVE_ERR_STORE_UNAVAILABLE',
    });
  });

  t.test('answers that break the contract are bad answers; an invalid origin host is never returned', async (t) => {
    let answer: { status: number; body: unknown; type?: string } = { status: 200, body: '' };
    const api = await startScriptedApi(t, (_request, reply) => reply.code(answer.status).header('content-type', answer.type ?? 'application/json').send(answer.body));
    const client = clientOf(t, api.url);
    const route = {
      name: 'golive',
      manifest: 'index.m3u8',
      host: '10.0.0.2:8080',
      state: 'live',
      origins: [{ host: '10.0.0.2:8080', manifest: 'index.m3u8', state: 'live', registered_at: '2026-01-01T00:00:00Z', ended_at: null, expires_at: '2026-01-01T00:00:30Z' }],
      playback: { require_signed_urls: false, allowed_origins: [] },
    };
    answer = { status: 200, body: JSON.stringify(route) };
    t.match(await client.lookupRoute('golive'), route, 'a valid answer');
    const cases: [string, unknown, RegExp][] = [
      ['a host that smuggles a path', { ...route, host: 'evil.example/path' }, /\/host must match pattern/],
      ['an origin entry with credentials', { ...route, origins: [{ ...route.origins[0], host: 'user@evil:80' }] }, /\/origins\/0\/host must match pattern/],
      ['no playback policy', { ...route, playback: undefined }, /must have required properties playback/],
      ['a number where a pattern is', { ...route, playback: { require_signed_urls: true, allowed_origins: [42] } }, /\/playback\/allowed_origins\/0 /],
    ];
    for (const [what, body, message] of cases) {
      answer = { status: 200, body: JSON.stringify(body) };
      const error = await client.lookupRoute('golive').catch((failure: unknown) => failure);
      t.ok(error instanceof InternalApiBadAnswerError, what);
      t.match((error as Error).message, message, what);
      t.ok(isRetryable(error));
    }
    answer = { status: 200, body: '{', type: 'application/json' };
    t.match(await client.lookupRoute('golive').catch((failure: unknown) => failure), { code: 'LIVE_ERR_INTERNAL_API_BAD_ANSWER', message: /not JSON/ });
    answer = { status: 200, body: 'OK', type: 'text/plain' };
    t.match(await client.authorize({ name: 'golive' }).catch((failure: unknown) => failure), { code: 'LIVE_ERR_INTERNAL_API_BAD_ANSWER' }, 'a bare 2xx allows nothing');
    answer = { status: 200, body: JSON.stringify({ liveViewers: 1, padding: 'x'.repeat(2 * 1024 * 1024) }) };
    t.match(await client.liveViewers('golive').catch((failure: unknown) => failure), { code: 'LIVE_ERR_INTERNAL_API_BAD_ANSWER', message: /larger than 1048576 bytes/ });
  });

  t.test('only the API\'s own "not live", "no such stream" and "no such video" 404s are answers', async (t) => {
    let answer: { body: string; type: string } = { body: '', type: 'application/json' };
    const api = await startScriptedApi(t, (_request, reply) => reply.code(404).header('content-type', answer.type).send(answer.body));
    const client = clientOf(t, api.url);
    answer = { body: JSON.stringify({ error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "x" is not live' } }), type: 'application/json' };
    t.equal(await client.lookupRoute('x'), 'not-live');
    answer = { body: JSON.stringify({ error: { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: 'stream "x" does not exist' } }), type: 'application/json' };
    t.equal(await client.lookupRoute('x'), 'no-such-stream');
    answer = { body: JSON.stringify({ error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND', message: 'no route for GET "/streams/x"' } }), type: 'application/json' };
    t.match(await client.lookupRoute('x').catch((failure: unknown) => failure), { status: 404, errorCode: 'LIVE_ERR_ROUTE_NOT_FOUND' }, 'a wrong API_URL is a failure');
    answer = { body: '<h1>nope</h1>', type: 'text/html' };
    t.match(await client.lookupRoute('x').catch((failure: unknown) => failure), { status: 404, errorCode: undefined }, 'so is a proxy\'s 404');
    const uid = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    t.match(await client.lookupVideo(uid).catch((failure: unknown) => failure), { status: 404, errorCode: undefined }, "a proxy's 404 is no missing video");
    answer = { body: JSON.stringify({ error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND', message: 'no route' } }), type: 'application/json' };
    t.match(await client.lookupVideo(uid).catch((failure: unknown) => failure), { status: 404, errorCode: 'LIVE_ERR_ROUTE_NOT_FOUND' }, 'nor an older API without the route');
    answer = { body: JSON.stringify({ error: { code: 'LIVE_ERR_VIDEO_NOT_FOUND', message: `video "${uid}" does not exist` } }), type: 'application/json' };
    t.equal(await client.lookupVideo(uid), null, "the API's own answer is");
  });

  t.test('a sightings batch the API is slow to take never holds up a route lookup', async (t) => {
    let releaseViews!: () => void;
    const viewsHeld = new Promise<void>((resolve) => (releaseViews = resolve));
    const api = await startScriptedApi(t, async (request, reply) => {
      if (request.url === '/views') {
        await viewsHeld;
        return reply.code(204).send();
      }
      return reply.code(404).send({ error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'not live' } });
    });
    const client = clientOf(t, api.url, { connections: 1 });
    const report = client.reportViews({ golive: ['viewer-0001'] });
    await waitFor('the batch to reach the API', () => api.seen.some((seen) => seen.url === '/views'));
    t.equal(await within('the route lookup', client.lookupRoute('golive'), 30_000), 'not-live', 'answered while the batch is still held');
    releaseViews();
    await report;
  });

  t.test('a fallback download has its own deadline for the whole body', async (t) => {
    const api = await startScriptedApi(t, (_request, reply) => {
      // The headers and a first part at once, then nothing: only the download's deadline ends it.
      const body = new Readable({ read() {} });
      body.push(Buffer.alloc(1000));
      return reply.code(200).header('content-type', 'video/x-flv').header('x-fallback-version', '7').send(body);
    });
    const client = clientOf(t, api.url, { timeoutMs: 30_000 });
    const download = await client.downloadFallback('abc12345', 300);
    t.equal(download.version, 7, 'the version the API says it sent');
    const error = await within('the body to give up', (async () => {
      for await (const _chunk of download.body) void _chunk;
    })().catch((failure: unknown) => failure), 30_000);
    t.ok(error instanceof Error, `the body errors (${(error as Error).name})`);
  });
});
