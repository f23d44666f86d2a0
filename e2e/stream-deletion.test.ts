/**
 * Issue 8's deletion, end to end: a stream publishing with a fallback video and a restream
 * target (a real RTMP receiver) is deleted, or its user is. Everything of it stops (the product
 * target is within 2 s: one heartbeat, INGEST_HEARTBEAT_MS, plus the edge's ROUTE_CACHE_MS): the
 * publisher is cut, the target's session ends without ever getting the fallback, the origin's
 * playlist ends (or is gone), the edge answers 404 and the origin's cached fallback file is
 * removed. The reconnect window is long (600 s), so a deleted stream that fell back to it would
 * keep the target connected and get the fallback: the test would time out. And discovery cannot
 * route a name the API does not know.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { videoConfigFrom } from '../origin/src/media/stream-config.js';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_stream_deletion_token';
const OPEN_NAME = 'open-demo';

let platform: Platform;
let scratch: string;
let fallbackClip: Uint8Array;

t.before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-deletion-'));
  const clip = path.join(scratch, 'fallback.mp4');
  // 320x240, where the live clip is 640x360: the target's video headers tell the two apart.
  await execFileAsync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
  ]);
  fallbackClip = new Uint8Array(await readFile(clip));
  platform = await startPlatform({
    ADMIN_TOKEN,
    ALLOWED_STREAMS: OPEN_NAME,
    ALLOW_PRIVATE_TARGETS: '1',
    RESTREAM_RECONNECT_WINDOW_SECONDS: '600',
    FALLBACK_PATH: path.join(scratch, 'api-fallback'),
    FALLBACK_CACHE_PATH: path.join(scratch, 'origin-cache'),
  });
});
t.teardown(async () => {
  await platform?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const api = (token: string, method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, token, method, apiPath, body);

/** The widths of the video sequence headers the receiver got, over all its publishes, in order. */
function videoWidths(receiver: RtmpReceiver): Array<number | undefined> {
  return receiver.publishes
    .flatMap((publish) => publish.tags)
    .filter((tag) => tag.type === 9 && tag.body[0] === 0x17 && tag.body[1] === 0)
    .map((tag) => videoConfigFrom(tag.body.subarray(5)).info.width);
}

/** The origin's cached fallback files of a stream. */
async function cachedFallbacks(streamId: string): Promise<string[]> {
  const names = await readdir(path.join(scratch, 'origin-cache')).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(`${streamId}.`));
}

interface LiveStream {
  id: string;
  userId: string;
  token: string;
  publisher: Publisher;
  receiver: RtmpReceiver;
}

/** A user's stream with a restream target and a fallback video, publishing, served by the edge. */
async function goLive(t: Test, userName: string): Promise<LiveStream> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name: userName });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name: `${userName} live` })).json;
  const targetKey = `target-${stream.id}`;
  const receiver = await startRtmpReceiver({ expectedKey: targetKey });
  t.teardown(() => receiver.close());
  const target = await api(token, 'POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://127.0.0.1:${receiver.port}/live`,
    stream_key: targetKey,
  });
  t.equal(target.status, 201, 'target created');
  const upload = await fetch(`${platform.apiUrl}/v1/streams/${stream.id}/fallback`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' },
    body: fallbackClip,
  });
  t.equal(upload.status, 201, `fallback uploaded: ${await upload.text()}`);
  const key = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp')
    .stream_key as string;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  await waitFor('the target to receive the live stream', () => videoWidths(receiver).length > 0, { timeoutMs: 60_000 });
  await waitFor('the edge to serve the stream', async () => (await fetch(`${platform.edgeUrl}/${stream.id}/index.m3u8`)).status === 200, {
    timeoutMs: 60_000,
  });
  await waitFor('the origin to cache the fallback video', async () => (await cachedFallbacks(stream.id)).length > 0, { timeoutMs: 60_000 });
  return { id: stream.id, userId: user.json.id as string, token, publisher, receiver };
}

async function assertPublisherCut(t: Test, live: LiveStream): Promise<void> {
  await waitFor('the publisher to be disconnected', () => live.publisher.child.exitCode !== null, { timeoutMs: 30_000 });
  t.pass('ffmpeg lost its connection and exited');
}

/**
 * Asserts that nothing of the deleted stream goes on, waiting (generously) for each outcome;
 * prints how long after the deletion (`deletedAt`) the target and the edge saw it (target: 2 s).
 */
async function assertStopped(t: Test, live: LiveStream, deletedAt: number, widths: number[] = [640]): Promise<void> {
  await waitFor('the target session to end', () => live.receiver.publishes.length > 0 && live.receiver.publishes.every((p) => p.closed), {
    timeoutMs: 30_000,
  });
  t.comment(`target session ended ${Date.now() - deletedAt} ms after the deletion`);
  t.same([...new Set(videoWidths(live.receiver))], widths, 'the target session ended with what it had: no fallback (320x240) after the deletion');
  const originPlaylist = await waitFor(
    'the origin playlist to end',
    async () => {
      const response = await fetch(`${platform.originUrl}/${live.id}/index.m3u8`);
      const text = await response.text();
      return response.status === 404 || text.includes('#EXT-X-ENDLIST') ? { status: response.status, text } : undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.ok(originPlaylist.status === 404 || originPlaylist.text.includes('#EXT-X-ENDLIST'), `the origin's playlist ended (${originPlaylist.status})`);
  await waitFor('the edge to answer 404', async () => (await fetch(`${platform.edgeUrl}/${live.id}/index.m3u8`)).status === 404, {
    timeoutMs: 30_000,
  });
  t.comment(`edge answered 404 ${Date.now() - deletedAt} ms after the deletion`);
  const gone = await fetch(`${platform.edgeUrl}/${live.id}/index.m3u8`);
  t.equal(gone.status, 404);
  t.match(await gone.json(), { error: { code: String } }, 'with a JSON error');
  await waitFor('the cached fallback file to be removed', async () => (await cachedFallbacks(live.id)).length === 0, { timeoutMs: 30_000 });
  t.pass("the origin's cached fallback video is removed");
  t.match(platform.logs('origin'), new RegExp(`"stream":"${live.id}"[^\\n]*stream deleted by the API`), 'the origin says why it ended');
  // Discovery saw the playlist end and reported it: the API refused, and discovery dropped the report.
  await waitFor('discovery to drop the refused report', () => new RegExp(`"stream":"${live.id}"[^\\n]*not retrying`).test(platform.logs('discovery')), {
    timeoutMs: 30_000,
  });
  t.pass('discovery cannot route the deleted stream again');
}

t.test('deleting a live stream stops its publisher, pushes, playlist, route and fallback', async (t) => {
  const live = await goLive(t, 'dora');
  const deletedAt = Date.now();
  t.equal((await api(live.token, 'DELETE', `/v1/streams/${live.id}`)).status, 204);
  await assertPublisherCut(t, live);
  await assertStopped(t, live, deletedAt);
});

t.test('deleting a user stops each of its live streams the same way', async (t) => {
  const live = await goLive(t, 'ulla');
  const deletedAt = Date.now();
  t.equal((await api(ADMIN_TOKEN, 'DELETE', `/v1/users/${live.userId}`)).status, 204);
  await assertPublisherCut(t, live);
  await assertStopped(t, live, deletedAt);
});

t.test('deleting a stream whose fallback plays (publisher away) ends the fallback at once', async (t) => {
  const live = await goLive(t, 'fred');
  await live.publisher.stop();
  await waitFor('the fallback at the target', () => videoWidths(live.receiver).includes(320), { timeoutMs: 60_000 });
  const deletedAt = Date.now();
  t.equal((await api(live.token, 'DELETE', `/v1/streams/${live.id}`)).status, 204);
  await assertStopped(t, live, deletedAt, [640, 320]);
});

t.test('a report for a name the API does not know is refused and creates no route', async (t) => {
  const report = (name: string) =>
    fetch(`${platform.internalApiUrl}/streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.internalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, manifest: 'index.m3u8', host: platform.originUrl.replace('http://', '') }),
    });
  for (const name of ['notopen', 'zzzzzzzz']) {
    const refused = await report(name);
    t.equal(refused.status, 404, `${name} refused`);
    t.match(await refused.json(), { error: { code: 'LIVE_ERR_STREAM_NOT_FOUND' } });
    const route = await fetch(`${platform.internalApiUrl}/streams/${name}`, { headers: { authorization: `Bearer ${platform.internalToken}` } });
    t.equal(route.status, 404, `${name}: no route`);
    t.equal((await fetch(`${platform.edgeUrl}/${name}/index.m3u8`)).status, 404, `${name}: the edge has nothing to play`);
  }
  t.equal((await report(OPEN_NAME)).status, 200, 'an open name is still routed');
});
