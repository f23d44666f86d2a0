import t from 'tap';
import { call, createStream, createUser, streamKeysOf } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

const authorize = (name: string, session: string) =>
  `/authorize?${new URLSearchParams({ name, origin_id: 'origin-1', session_id: session })}`;

t.test('stream keys on a real redis-server', async (t) => {
  const { app, internal } = await startTestApi(t);
  const alice = await createUser(app, 'alice');

  t.test('the seed formats: RTMP and WebSocket share a secret, SRT has its own', async (t) => {
    const { id } = await createStream(app, alice.token);
    const response = await call(app, alice.token, 'GET', `/v1/streams/${id}/stream-keys`);
    t.equal(response.statusCode, 200);
    const { data } = response.json();
    t.same(
      data.map((key: { protocol: string }) => key.protocol),
      ['rtmp', 'srt', 'websocket'],
    );
    const [rtmp, srt, websocket] = data.map((key: { stream_key: string }) => key.stream_key);
    t.match(rtmp, new RegExp(`^publish_${id}_[A-Za-z0-9]{24}$`));
    t.match(srt, new RegExp(`^publish/${id}/[A-Za-z0-9]{24}$`));
    t.equal(websocket, rtmp);
    t.not(srt.split('/')[2], rtmp.split('_')[2], 'SRT has its own secret');
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${id}/stream-keys`)).json(), response.json(), 'readable again');

    const elsewhere = [
      await call(app, alice.token, 'GET', '/v1/streams'),
      await call(app, alice.token, 'GET', `/v1/streams/${id}`),
      await call(app, alice.token, 'GET', `/v1/streams/${id}/playlists`),
    ];
    for (const other of elsewhere) t.notMatch(other.body, rtmp.split('_')[2], 'no secret outside stream-keys');
  });

  t.test('reset rtmp: new RTMP/WebSocket key, SRT unchanged; the old key is refused', async (t) => {
    const stream = await createStream(app, alice.token);
    t.same((await internal.inject(authorize(stream.rtmpKey, 'before-reset'))).json().key_generation, 1);
    await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/before-reset?stream=${stream.id}` });

    const reset = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'rtmp' });
    t.equal(reset.statusCode, 200);
    const [rtmp, srt, websocket] = reset.json().data.map((key: { stream_key: string }) => key.stream_key);
    t.not(rtmp, stream.rtmpKey, 'a new RTMP key');
    t.match(rtmp, new RegExp(`^publish_${stream.id}_[A-Za-z0-9]{24}$`));
    t.equal(websocket, rtmp);
    t.equal(srt, stream.srtKey, 'SRT unchanged');
    t.same(await streamKeysOf(app, alice.token, stream.id), { rtmpKey: rtmp, srtKey: srt }, 'stored');

    const old = await internal.inject(authorize(stream.rtmpKey, 'old-key'));
    t.equal(old.statusCode, 403);
    t.equal(old.json().error.code, 'LIVE_ERR_PUBLISH_DENIED');
    const fresh = await internal.inject(authorize(rtmp, 'new-key'));
    t.equal(fresh.statusCode, 200);
    t.equal(fresh.json().key_generation, 3, 'the next RTMP generation');
  });

  t.test('reset srt changes only the SRT key', async (t) => {
    const stream = await createStream(app, alice.token);
    const reset = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'srt' });
    t.equal(reset.statusCode, 200);
    const keys = await streamKeysOf(app, alice.token, stream.id);
    t.equal(keys.rtmpKey, stream.rtmpKey);
    t.not(keys.srtKey, stream.srtKey);
    t.equal((await internal.inject(authorize(stream.rtmpKey, 'srt-reset'))).statusCode, 200, 'the RTMP key still publishes');
  });

  t.test('reset: 400 for another protocol, 404 for an unknown stream', async (t) => {
    const stream = await createStream(app, alice.token);
    for (const body of [{ protocol: 'websocket' }, { protocol: 'RTMP' }, {}]) {
      const response = await call(app, alice.token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, body);
      t.equal(response.statusCode, 400, JSON.stringify(body));
      t.match(response.json().error.message, /^body\.protocol /);
    }
    t.equal((await call(app, alice.token, 'POST', '/v1/streams/zzzzzzzz/stream-keys/reset', { protocol: 'rtmp' })).statusCode, 404);
    t.equal((await call(app, alice.token, 'GET', '/v1/streams/zzzzzzzz/stream-keys')).statusCode, 404);
    t.equal((await call(app, undefined, 'GET', `/v1/streams/${stream.id}/stream-keys`)).statusCode, 401);
  });
});
