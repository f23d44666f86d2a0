import t from 'tap';
import { timed } from '../../test-support/timed.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

t.test('playlists: HLS through the edge; SRT only when PUBLIC_SRT_URL is set', async (t) => {
  const { app } = await startTestApi(t, { publicPlaybackUrl: 'https://video-edge.example' });
  const { token } = await createUser(app, 'alice');
  const { id, rtmpKey } = await createStream(app, token);
  const response = await call(app, token, 'GET', `/v1/streams/${id}/playlists`);
  t.equal(response.statusCode, 200);
  t.same(response.json(), { playlists: [{ protocol: 'hls', url: `https://video-edge.example/${id}/index.m3u8` }] });
  t.notMatch(response.body, rtmpKey.slice(-24), 'the playback URL never contains the key');
  t.equal((await call(app, token, 'GET', '/v1/streams/zzzzzzzz/playlists')).statusCode, 404);
});

t.test('playlists with PUBLIC_SRT_URL', async (t) => {
  const { app } = await startTestApi(t, { publicSrtUrl: 'srt://fsn1.ingest.example:1337' });
  const { token } = await createUser(app, 'alice');
  const { id } = await createStream(app, token);
  t.same((await call(app, token, 'GET', `/v1/streams/${id}/playlists`)).json(), {
    playlists: [
      { protocol: 'hls', url: `http://edge.test:8081/${id}/index.m3u8` },
      { protocol: 'srt', url: `srt://fsn1.ingest.example:1337?streamid=play/${id}` },
    ],
  });
});

t.test('lifecycle follows the live routes discovery reports under the stream id', async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const { id } = await createStream(app, token);
  const lifecycle = () => call(app, token, 'GET', `/v1/streams/${id}/lifecycle`);

  const offline = await lifecycle();
  t.equal(offline.statusCode, 200);
  t.same(offline.json(), { live: false, live_since: null, origin: null, publisher: null, ingest: null, restream: [], pull: null });

  const report = { name: id, manifest: 'index.m3u8', host: '10.0.0.7:8080' };
  const registered = await timed(() => internal.inject({ method: 'POST', url: '/streams', payload: report }));
  t.equal(registered.result.statusCode, 200);
  const live = (await lifecycle()).json();
  t.match(live, { live: true, origin: '10.0.0.7:8080' });
  const liveSince = Date.parse(live.live_since);
  t.ok(liveSince >= registered.before && liveSince <= registered.after, 'live_since is when the route was registered');

  t.equal((await internal.inject({ method: 'DELETE', url: `/streams/${id}` })).statusCode, 204);
  t.same((await lifecycle()).json(), { live: false, live_since: null, origin: null, publisher: null, ingest: null, restream: [], pull: null });

  await internal.inject({ method: 'POST', url: '/streams', payload: report });
  t.equal((await call(app, token, 'DELETE', `/v1/streams/${id}`)).statusCode, 204);
  t.equal((await internal.inject(`/streams/${id}`)).statusCode, 404, 'deleting the stream withdraws its live route');
  t.equal((await lifecycle()).statusCode, 404);
});
