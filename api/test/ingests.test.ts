import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../src/app.js';
import { call, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

interface Origin {
  id: string;
  priority: number;
  streams: number;
  bandwidth: number;
  srt?: boolean;
}

function heartbeat(app: App, origin: Origin) {
  return app.inject({
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
  const { app } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const origins: Origin[] = [
    { id: 'busy', priority: 1, streams: 9, bandwidth: 0 },
    { id: 'far', priority: 2, streams: 0, bandwidth: 0, srt: true },
    { id: 'idle', priority: 1, streams: 1, bandwidth: 900 },
    { id: 'idler', priority: 1, streams: 1, bandwidth: 100, srt: true },
  ];
  for (const origin of origins) {
    const answer = await heartbeat(app, origin);
    t.equal(answer.statusCode, 200);
    t.same(answer.json(), { ttl_seconds: 10, disconnect: [], restream: {} });
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
    await heartbeat(app, { id: 'busy', priority: 0, streams: 9, bandwidth: 0 });
    const first = (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests[0];
    t.equal(first.name, 'Origin busy');
    t.equal(first.priority, 0);
  });

  t.test('an origin that shuts down drops out at once', async (t) => {
    t.equal((await app.inject({ method: 'DELETE', url: '/ingests/busy' })).statusCode, 204);
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

t.test('an origin that stops sending heartbeats drops out within INGEST_TTL_SECONDS', async (t) => {
  const { app } = await startTestApi(t, { ingestTtlSeconds: 1 });
  const { token } = await createUser(app, 'alice');
  const names = async () =>
    (await call(app, token, 'GET', '/v1/ingests?protocol=rtmp')).json().ingests.map((i: { name: string }) => i.name);

  t.equal((await heartbeat(app, { id: 'dying', priority: 1, streams: 0, bandwidth: 0 })).json().ttl_seconds, 1);
  await sleep(600);
  await heartbeat(app, { id: 'alive', priority: 1, streams: 0, bandwidth: 0 });
  t.same(await names(), ['Origin alive', 'Origin dying']);
  await sleep(600);
  t.same(await names(), ['Origin alive'], 'the silent origin is gone after its TTL');
  await sleep(600);
  t.same(await names(), []);
  t.same(await app.redis.keys('ingest*'), [], 'its keys are gone from Redis too');
});
