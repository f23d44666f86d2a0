/**
 * Issue 3's user path end to end: a user with a token creates a stream, publishes with its key
 * from ffmpeg, gets the playback URL from the API, plays it through the edge, resets the key and
 * sees the old publisher cut off.
 */
import { readdir } from 'node:fs/promises';
import t from 'tap';
import { ffprobe, publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_managed_streams_token';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);

async function userToken(name: string): Promise<string> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name });
  const token = await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' });
  return token.json.token as string;
}

function rtmpKey(keys: { data: Array<{ protocol: string; stream_key: string }> }): string {
  return keys.data.find((key) => key.protocol === 'rtmp')!.stream_key;
}

/** Resolves with ffmpeg's exit code once the server closed its publish (generous limit: a refusal, not a race). */
async function disconnected(publisher: Publisher): Promise<number | null> {
  const exit = await waitFor('ffmpeg to be disconnected', async () => {
    const done = publisher.child.exitCode !== null || publisher.child.signalCode !== null;
    return done ? { code: await publisher.exited } : undefined;
  }, { timeoutMs: 60_000 });
  return exit.code;
}

t.test('create, publish with the key, play through the edge, reset the key', async (t) => {
  const token = await userToken('alice');
  const stream = (await api(token, 'POST', '/v1/streams', { name: 'Alice live' })).json;
  t.match(stream, { id: /^[a-z0-9]{8}$/, name: 'Alice live' });
  const key = rtmpKey((await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json);
  t.match(key, new RegExp(`^publish_${stream.id}_[A-Za-z0-9]{24}$`));

  const ingests = (await api(token, 'GET', '/v1/ingests?protocol=rtmp')).json.ingests;
  t.ok(ingests.length >= 1, 'the origin is listed as an ingest server');

  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());

  const hls = (await api(token, 'GET', `/v1/streams/${stream.id}/playlists`)).json.playlists.find(
    (p: { protocol: string }) => p.protocol === 'hls',
  ).url as string;
  t.equal(new URL(hls).pathname, `/${stream.id}/index.m3u8`, 'the playback URL names the public id, never the key');
  const playlistUrl = `${platform.edgeUrl}/${stream.id}/index.m3u8`;
  const playlist = await waitFor('the edge to serve the stream', async () => {
    const response = await fetch(playlistUrl);
    return response.status === 200 ? response.text() : undefined;
  }, { timeoutMs: 60_000 });
  t.notMatch(playlist, key.split('_')[2]!, 'the playlist does not contain the secret');
  const firstSegment = playlist.split('\n').find((line) => line.endsWith('.ts'))!;
  const probe = await ffprobe(`${platform.edgeUrl}/${stream.id}/${firstSegment}`);
  t.equal(probe.errors, '', 'ffprobe reads a segment served by the edge');
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);

  const lifecycle = (await api(token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json;
  t.match(lifecycle, { live: true, origin: String }, 'lifecycle says live and on which origin');

  const folders = await readdir(platform.hlsPath);
  t.ok(folders.includes(stream.id), 'HLS is packaged under the public id');
  t.notOk(folders.some((name) => name.includes('publish_')), 'no folder is named after a key');

  const second = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`);
  t.teardown(() => second.stop());
  t.not(await disconnected(second), 0, 'a second publish with the same key is refused');
  t.equal(publisher.child.exitCode, null, 'the first publisher keeps going');

  const reset = await api(token, 'POST', `/v1/streams/${stream.id}/stream-keys/reset`, { protocol: 'rtmp' });
  t.equal(reset.status, 200);
  const newKey = rtmpKey(reset.json);
  t.not(newKey, key, 'a new secret');
  const resetAt = Date.now();
  t.not(await disconnected(publisher), 0, 'the publisher with the old key is cut');
  t.comment(`old publisher cut ${Date.now() - resetAt} ms after the reset`);

  const stale = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`);
  t.teardown(() => stale.stop());
  t.not(await disconnected(stale), 0, 'the old key is refused');

  const fresh = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${newKey}`);
  t.teardown(() => fresh.stop());
  await waitFor('the new key to publish', async () => {
    const text = await (await fetch(playlistUrl)).text();
    return text.includes('#EXT-X-DISCONTINUITY') ? text : undefined;
  }, { timeoutMs: 60_000 });
  t.pass('the new key publishes and the playlist continues after a discontinuity');
});

t.test('a wrong key is refused and writes nothing; users never see each other', async (t) => {
  const alice = await userToken('alice-2');
  const bob = await userToken('bob');
  const stream = (await api(alice, 'POST', '/v1/streams', { name: 'Private' })).json;
  const before = await readdir(platform.hlsPath);
  const wrong = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/publish_${stream.id}_AAAAAAAAAAAAAAAAAAAAAAAA`);
  t.teardown(() => wrong.stop());
  t.not(await disconnected(wrong), 0, 'ffmpeg with a wrong key is disconnected');
  t.same(await readdir(platform.hlsPath), before, 'nothing was written');
  t.notMatch(platform.logs('origin') + platform.logs('api'), 'AAAAAAAAAAAAAAAAAAAAAAAA', 'the key never reaches the logs');

  t.equal((await api(bob, 'GET', `/v1/streams/${stream.id}`)).status, 404, "bob gets 404 for alice's stream");
  t.equal((await api(bob, 'GET', `/v1/streams/${stream.id}/stream-keys`)).status, 404);
  t.notOk((await api(bob, 'GET', '/v1/streams')).json.data.some((s: { id: string }) => s.id === stream.id));
  t.equal((await api('nope', 'GET', '/v1/streams')).status, 401, 'a bad token gets 401');
});
