import t from 'tap';
import { MAX_HEARTBEAT_PUBLISHES } from '../../internal-api/src/ingest-contract.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { originHeartbeat } from './fixtures/origin-heartbeat.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

const INGEST = {
  bitrate_bps: 2_500_000,
  video: { codec: 'avc1.64001f', width: 1280, height: 720, fps: 29.97 },
  audio: { codec: 'mp4a.40.2', sample_rate: 48_000, channels: 2 },
};

const authorize = (internal: InternalCaller, name: string, origin: string, session: string) =>
  internal.inject(`/authorize?${new URLSearchParams({ name, app: 'stream', origin_id: origin, session_id: session })}`);

t.test("lifecycle shows what the live publisher sends, as its origin's heartbeat reports it", async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const ingestShown = async () => {
    const lifecycle = await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`);
    t.equal(lifecycle.statusCode, 200);
    return lifecycle.json().ingest;
  };
  const publisherShown = async () => (await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json().publisher;
  const publish = { session_id: 'session-1', stream: stream.id, key_generation: 0 };

  t.equal((await authorize(internal, stream.rtmpKey, 'origin-a', 'session-1')).statusCode, 200);
  t.equal((await originHeartbeat(internal, 'origin-a', [{ ...publish, ingest: INGEST }])).statusCode, 200);
  t.equal(await ingestShown(), null, 'not live until an origin packages it');
  t.equal(await publisherShown(), null, 'no publisher shown while not live');

  const route = { name: stream.id, manifest: 'index.m3u8', host: '10.0.0.7:8080' };
  t.equal((await internal.inject({ method: 'POST', url: '/streams', payload: route })).statusCode, 200);
  t.same(await ingestShown(), INGEST);
  t.equal(await publisherShown(), 'connected');

  t.equal((await originHeartbeat(internal, 'origin-a', [publish])).statusCode, 200, 'an origin that does not report ingests still beats');
  t.equal(await ingestShown(), null, 'nothing reported yet');
  const audioOnly = { ...INGEST, bitrate_bps: 96_000, video: null };
  t.equal((await originHeartbeat(internal, 'origin-a', [{ ...publish, ingest: audioOnly }])).statusCode, 200);
  t.same(await ingestShown(), audioOnly, 'the latest heartbeat counts');

  t.equal((await originHeartbeat(internal, 'origin-b', [{ ...publish, session_id: 'session-2', ingest: INGEST }])).statusCode, 200);
  t.same(await ingestShown(), audioOnly, "another origin's publish of the name, without the lease, is not the stream's");

  const left = await internal.inject({ method: 'DELETE', url: `/ingests/origin-a/publishes/session-1?stream=${stream.id}` });
  t.equal(left.statusCode, 204);
  t.equal(await ingestShown(), null, 'the publisher left (a fallback may play): nothing is received');
  t.equal(await publisherShown(), 'away', 'the stream is still live while its publisher is away');
});

t.test("the origin's last heartbeat expires, and its publishes' ingest with it", async (t) => {
  const { app, internal } = await startTestApi(t, { publishLeaseSeconds: 30 });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  await authorize(internal, stream.rtmpKey, 'origin-a', 'session-1');
  await originHeartbeat(internal, 'origin-a', [{ session_id: 'session-1', stream: stream.id, key_generation: 0, ingest: INGEST }]);
  await internal.inject({ method: 'POST', url: '/streams', payload: { name: stream.id, manifest: 'index.m3u8', host: '10.0.0.7:8080' } });
  t.same((await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json().ingest, INGEST);
  // Redis expiring the key is what INGEST_TTL_SECONDS does; the lease lives on.
  await app.redis.del('ingest:origin-a');
  t.equal((await call(app, token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json().ingest, null);
});

t.test('an ingest outside the contract is refused with a 400 that names it', async (t) => {
  const { internal } = await startTestApi(t);
  const publish = { session_id: 's1', stream: 'abc12345', key_generation: 0 };
  const cases: [string, object, RegExp][] = [
    ['codec with a space', { ...INGEST, video: { ...INGEST.video, codec: 'avc1 64001f' } }, /codec/],
    ['width 0', { ...INGEST, video: { ...INGEST.video, width: 0 } }, /width/],
    ['negative bitrate', { ...INGEST, bitrate_bps: -1 }, /bitrate_bps/],
    ['no audio field', { bitrate_bps: 1, video: null }, /audio/],
    ['a long codec', { ...INGEST, audio: { ...INGEST.audio, codec: `mp4a.${'4'.repeat(100)}` } }, /codec/],
  ];
  for (const [name, ingest, field] of cases) {
    const answer = await originHeartbeat(internal, 'origin-a', [{ ...publish, ingest }]);
    t.equal(answer.statusCode, 400, name);
    t.match(answer.json().error, { code: 'LIVE_ERR_VALIDATION', message: field }, name);
  }
});

t.test('the largest heartbeat the contract allows is read whole', async (t) => {
  const { internal } = await startTestApi(t);
  const longest = (prefix: string, index: number) => `${prefix}${index}`.padEnd(128, 'x');
  const publishes = Array.from({ length: MAX_HEARTBEAT_PUBLISHES }, (_, index) => ({
    session_id: longest('s', index),
    stream: longest('p', index),
    key_generation: Number.MAX_SAFE_INTEGER,
    ingest: {
      bitrate_bps: Number.MAX_SAFE_INTEGER,
      video: { codec: 'a'.repeat(64), width: 65535, height: 65535, fps: 29.97002997 },
      audio: { codec: 'b'.repeat(64), sample_rate: 1_000_000, channels: 64 },
    },
  }));
  const waiting = Array.from({ length: MAX_HEARTBEAT_PUBLISHES }, (_, index) => longest('w', index));
  const answer = await originHeartbeat(internal, 'origin-a', publishes, waiting);
  t.equal(answer.statusCode, 200, answer.statusCode === 200 ? 'read' : answer.body.slice(0, 300));
});
