import t from 'tap';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createUser } from './fixtures/api-client.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

interface Origin {
  id: string;
  priority: number;
  streams: number;
  bandwidth: number;
  srt?: boolean;
}

function heartbeat(internal: InternalCaller, origin: Origin) {
  return internal.inject({
    method: 'PUT',
    url: `/ingests/${origin.id}`,
    payload: {
      name: `Origin ${origin.id}`,
      region: `region-${origin.id}`,
      priority: origin.priority,
      url_templates: {
        rtmp: `rtmp://${origin.id}.example/stream/{stream_key}`,
        ...(origin.srt ? { srt: `srt://${origin.id}.example:1337?streamid={stream_key}` } : {}),
      },
      load: { streams: origin.streams, bandwidth_bps: origin.bandwidth },
      publishes: [],
    },
  });
}

t.test('GET /v1/ingests lists live origins best first', async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const origins: Origin[] = [
    { id: 'busy', priority: 1, streams: 9, bandwidth: 0 },
    { id: 'far', priority: 2, streams: 0, bandwidth: 0, srt: true },
    { id: 'idle', priority: 1, streams: 1, bandwidth: 900 },
    { id: 'idler', priority: 1, streams: 1, bandwidth: 100, srt: true },
  ];
  for (const origin of origins) {
    const answer = await heartbeat(internal, origin);
    t.equal(answer.statusCode, 200);
    t.same(answer.json(), { ttl_seconds: 10, disconnect: [], ended: [], handed_over: [], restream: {} });
  }

  const rtmp = await call(app, token, 'GET', '/v1/ingests?protocol=rtmp');
  t.equal(rtmp.statusCode, 200);
  t.same(rtmp.json().ingests[0], {
    name: 'Origin idler',
    region: 'region-idler',
    url_template: 'rtmp://idler.example/stream/{stream_key}',
    priority: 1,
  });
  t.same(
    rtmp.json().ingests.map((ingest: { name: string }) => ingest.name),
    ['Origin idler', 'Origin idle', 'Origin busy', 'Origin far'],
    'priority, then fewer streams, then less bandwidth',
  );

  const srt = await call(app, token, 'GET', '/v1/ingests?protocol=srt');
  t.same(
    srt.json().ingests.map((ingest: { url_template: string }) => ingest.url_template),
    ['srt://idler.example:1337?streamid={stream_key}', 'srt://far.example:1337?streamid={stream_key}'],
    'only origins with a template for the protocol',
  );
  t.same((await call(app, token, 'GET', '/v1/ingests?protocol=websocket')).json(), { ingests: [] });

  t.test('a new heartbeat replaces the last one', async (t) => {
    await heartbeat(internal, { id: 'busy', priority: 0, streams: 9, bandwidth: 0 });
    const first = (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests[0];
    t.equal(first.name, 'Origin busy');
    t.equal(first.priority, 0);
  });

  t.test('an origin that shuts down drops out at once', async (t) => {
    t.equal((await internal.inject({ method: 'DELETE', url: '/ingests/busy' })).statusCode, 204);
    const names = (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests.map((i: { name: string }) => i.name);
    t.notOk(names.includes('Origin busy'));
  });

  t.test('400 for an unknown or missing protocol, 401 without a token', async (t) => {
    const unknown = await call(app, token, 'GET', '/v1/ingests?protocol=ftp');
    t.equal(unknown.statusCode, 400);
    t.match(unknown.json().error.message, /^querystring\.protocol must be equal to one of the allowed values; got "ftp"$/);
    const missing = await call(app, token, 'GET', '/v1/ingests');
    t.equal(missing.statusCode, 400);
    t.equal(missing.json().error.message, 'querystring.protocol is required');
    t.equal((await call(app, undefined, 'GET', '/v1/ingests?protocol=rtmp')).statusCode, 401);
  });
});

t.test('origins alike in priority and load are listed in one order, whatever order they beat in', async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  for (const id of ['c', 'a', 'd', 'b']) await heartbeat(internal, { id, priority: 1, streams: 0, bandwidth: 0 });
  const names = async () =>
    (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests.map((i: { name: string }) => i.name);
  t.same(await names(), ['Origin a', 'Origin b', 'Origin c', 'Origin d'], 'ties go by origin id');
  for (const id of ['d', 'b', 'a', 'c']) await heartbeat(internal, { id, priority: 1, streams: 0, bandwidth: 0 });
  t.same(await names(), ['Origin a', 'Origin b', 'Origin c', 'Origin d'], 'the same order after new heartbeats');
});

t.test('an origin that stops sending heartbeats drops out after INGEST_TTL_SECONDS, to the millisecond', async (t) => {
  let now = 1_700_000_000_000;
  // A long TTL so the keys (expired by Redis's own clock) outlast the test on any machine.
  const { app, internal } = await startTestApi(t, { ingestTtlSeconds: 60, now: () => now });
  const { token } = await createUser(app, 'alice');
  const names = async () =>
    (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests.map((i: { name: string }) => i.name);

  t.equal((await heartbeat(internal, { id: 'dying', priority: 1, streams: 0, bandwidth: 0 })).json().ttl_seconds, 60);
  now += 600;
  await heartbeat(internal, { id: 'alive', priority: 1, streams: 0, bandwidth: 0 });
  now += 59_399;
  t.same(await names(), ['Origin alive', 'Origin dying'], 'listed until its TTL is over');
  now += 1;
  t.same(await names(), ['Origin alive'], 'the silent origin is gone when its TTL is over');
  t.same(await app.redis.zrange('ingests', '0', '-1'), ['alive'], 'and pruned from the index');
  now += 600;
  t.same(await names(), []);
  t.same(await app.redis.keys('ingests'), [], 'the empty index is gone');
  for (const origin of ['dying', 'alive']) {
    t.ok((await app.redis.pttl(`ingest:${origin}`)) > 0, `ingest:${origin} expires by itself (its TTL is Redis's, not the clock's)`);
  }
});

t.test("an origin's keys are gone from Redis once its heartbeats stop", async (t) => {
  const { app, internal } = await startTestApi(t, { ingestTtlSeconds: 1 });
  const { token } = await createUser(app, 'alice');
  const names = async () =>
    (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests.map((i: { name: string }) => i.name);
  const beat = (id: string) => heartbeat(internal, { id, priority: 1, streams: 0, bandwidth: 0 });

  // Each check right after fresh heartbeats, so a slow machine cannot let them lapse first.
  await waitFor('both origins listed', async () => {
    await beat('dying');
    await beat('alive');
    return JSON.stringify(await names()) === JSON.stringify(['Origin alive', 'Origin dying']);
  });
  t.pass('both listed while both send heartbeats');
  await waitFor(
    'the silent origin to drop out while the other keeps sending',
    async () => {
      await beat('alive');
      return JSON.stringify(await names()) === JSON.stringify(['Origin alive']);
    },
    { timeoutMs: 60_000 },
  );
  t.pass('the silent origin dropped out, the other stayed');
  await waitFor('both gone', async () => (await names()).length === 0, { timeoutMs: 60_000 });
  await waitFor('their keys to expire', async () => {
    const keys = await app.redis.keys('ingest*');
    if (keys.length === 0) return true;
    // What is left and why, for the timeout's message.
    const left = await Promise.all(keys.map(async (key) => `${key} (pttl ${await app.redis.pttl(key)})`));
    const index = await app.redis.zrange('ingests', '0', '-1', 'WITHSCORES');
    throw new Error(`left: ${left.join(', ')}; ingests ${JSON.stringify(index)} at ${Date.now()}`);
  }, { timeoutMs: 60_000 });
  t.pass('no key is left in Redis');
});
