/**
 * Issue 15's pull sources, end to end with real ffmpeg, Redis and HTTP: the platform itself
 * publishes a stream from an RTMP source (ffmpeg as an RTMP server, `-listen 1`), from an SRT
 * source (ffmpeg as an SRT listener sending MPEG-TS), from a live HLS playlist (ffmpeg writing HLS
 * into a folder that node's http serves) and from a media file served over HTTP. The pulled stream
 * plays through the edge, its status shows in the
 * lifecycle, it resumes on the same playback URL after the source restarts, DELETE takes it
 * offline, and neither the source's secrets nor the stream key reach a log or an answer.
 * ALLOW_PRIVATE_TARGETS=1 lets the pulls reach 127.0.0.1 (api/test/stream-pull.test.ts checks
 * the refusal without it).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ffprobe, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { playlistSegments } from '../test-support/newest-segment.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_pull_sources_token';
const FILE_SECRET = 'sup3rs3cretQueryValue';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500', ALLOW_PRIVATE_TARGETS: '1', PULL_POLL_SECONDS: '1' });
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);

async function newStream(name: string): Promise<{ id: string; key: string; token: string }> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name: `Pulled: ${name}` })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((entry: { protocol: string }) => entry.protocol === 'rtmp').stream_key as string;
  return { id: stream.id, key, token };
}

const lifecycle = async (token: string, id: string) => (await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json;

/** Segments the edge serves for the stream once it has at least `count`, decoded by ffprobe (the newest). */
async function playsThroughEdge(t: Test, id: string, { after = [] as string[], count = 2 } = {}): Promise<string[]> {
  const segments = await waitFor('the edge to serve new segments of the stream', async () => {
    const uris = await playlistSegments(platform.edgeUrl, id);
    const fresh = uris?.filter((uri) => !after.includes(uri));
    return fresh && fresh.length >= count ? uris : undefined;
  }, { timeoutMs: 90_000 });
  const probe = await ffprobe(`${platform.edgeUrl}/${id}/${segments.at(-1)}`);
  t.equal(probe.errors, '', 'ffprobe decodes a segment served by the edge');
  t.same(probe.streams.map((stream) => stream.codec_name).sort(), ['aac', 'h264'], 'H.264 + AAC, copied from the source');
  return segments;
}

t.test('an RTMP pull goes live, plays through the edge, resumes after its source restarts, and DELETE takes it offline', async (t) => {
  const { id, key, token } = await newStream('rtmp-source');
  const sourceUrl = `rtmp://127.0.0.1:${await freePort()}/live/camera`;
  let source: Publisher = await publishTestPattern(sourceUrl, { listen: true });
  t.teardown(() => source.stop());

  const created = await api(token, 'POST', `/v1/streams/${id}/pull`, { url: sourceUrl });
  t.equal(created.status, 201);
  t.equal(created.json.url, sourceUrl, 'nothing secret in this URL: shown as given');
  const before = await playsThroughEdge(t, id);
  const live = await waitFor('the pull to report live', async () => {
    const state = await lifecycle(token, id);
    return state.pull?.status?.state === 'live' ? state : undefined;
  }, { timeoutMs: 30_000 });
  t.match(live, { live: true, publisher: 'connected', pull: { url: sourceUrl, status: { state: 'live', attempts: 0 } } });

  // The source goes away: the pull retries (with the restream backoff) and says why.
  await source.stop();
  const retrying = await waitFor('the pull to report retrying', async () => {
    const state = await lifecycle(token, id);
    return state.pull?.status?.state === 'retrying' ? state : undefined;
  }, { timeoutMs: 60_000 });
  t.match(retrying.pull.status, { last_error: /ffmpeg stopped|Connection refused|Input\/output/ }, 'the reason is shown');
  source = await publishTestPattern(sourceUrl, { listen: true });
  await playsThroughEdge(t, id, { after: before });
  await waitFor('the pull to report live again', async () => (await lifecycle(token, id)).pull?.status?.state === 'live', { timeoutMs: 60_000 });
  t.pass('the pull resumed on the same playback URL');

  t.equal((await api(token, 'DELETE', `/v1/streams/${id}/pull`)).status, 204);
  await waitFor('the stream to go offline', async () => (await lifecycle(token, id)).live === false, { timeoutMs: 60_000 });
  t.equal((await lifecycle(token, id)).pull, null, 'the lifecycle has no pull');
  t.equal((await api(token, 'GET', `/v1/streams/${id}/pull`)).status, 404);
  for (const service of ['origin', 'api'] as const) t.notOk(platform.logs(service).includes(key), `the stream key is not in the ${service} log`);
});

t.test('an SRT pull (MPEG-TS from an SRT listener) goes live and plays through the edge', async (t) => {
  const { id, token } = await newStream('srt-source');
  const sourceUrl = `srt://127.0.0.1:${await freePort()}`;
  // An encoder waiting for the platform to call it, as SRT cameras and contribution links do.
  const source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=426x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=1000',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-c:a', 'aac', '-f', 'mpegts', `${sourceUrl}?mode=listener`], { stdio: 'ignore' });
  const sourceExited = new Promise((resolve) => source.once('exit', resolve));
  t.teardown(() => {
    source.kill('SIGKILL');
    return sourceExited;
  });
  t.equal((await api(token, 'POST', `/v1/streams/${id}/pull`, { url: sourceUrl })).status, 201);
  await playsThroughEdge(t, id);
  await waitFor('the pull to report live', async () => (await lifecycle(token, id)).pull?.status?.state === 'live', { timeoutMs: 30_000 });
  t.equal((await api(token, 'DELETE', `/v1/streams/${id}/pull`)).status, 204);
});

t.test('an HLS playlist served over HTTP goes live and plays through the edge', async (t) => {
  const { id, token } = await newStream('hls-source');
  const folder = await mkdtemp(path.join(tmpdir(), 'pull-hls-source-'));
  // A live HLS source, as a packager or another platform publishes: a sliding playlist of 1 s segments.
  const source = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=426x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=1000',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6',
    '-hls_flags', 'delete_segments', path.join(folder, 'index.m3u8')], { stdio: 'ignore' });
  const sourceExited = new Promise((resolve) => source.once('exit', resolve));
  const server: Server = createServer((request, response) => {
    const name = path.basename(new URL(request.url ?? '/', 'http://source').pathname);
    const file = createReadStream(path.join(folder, name));
    file.once('error', () => response.writeHead(404).end());
    file.once('open', () => {
      response.writeHead(200, { 'content-type': name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' });
      file.pipe(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    source.kill('SIGKILL');
    await sourceExited;
    await rm(folder, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.m3u8`;
  await waitFor('the source to write its playlist', async () => (await fetch(url)).ok, { timeoutMs: 30_000 });

  t.equal((await api(token, 'POST', `/v1/streams/${id}/pull`, { url })).status, 201);
  await playsThroughEdge(t, id);
  await waitFor('the pull to report live', async () => (await lifecycle(token, id)).pull?.status?.state === 'live', { timeoutMs: 30_000 });
  t.equal((await api(token, 'DELETE', `/v1/streams/${id}/pull`)).status, 204);
  await waitFor('the stream to go offline', async () => (await lifecycle(token, id)).live === false, { timeoutMs: 60_000 });
});

t.test('a media file served over HTTP goes live in real time, its URL secrets masked everywhere', async (t) => {
  const { id, key, token } = await newStream('file-source');
  const server: Server = createServer((request, response) => {
    if (!request.url?.startsWith('/clip.flv')) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'video/x-flv' });
    createReadStream(testAsset('h264-aac.flv')).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/clip.flv?token=${FILE_SECRET}`;

  const created = await api(token, 'POST', `/v1/streams/${id}/pull`, { url });
  t.equal(created.status, 201);
  t.equal(created.json.url, `http://127.0.0.1:${port}/clip.flv?token=****`);
  await playsThroughEdge(t, id, { count: 1 });
  t.match(await lifecycle(token, id), { live: true, pull: { url: created.json.url } });
  t.equal((await api(token, 'DELETE', `/v1/streams/${id}/pull`)).status, 204);
  await waitFor('the stream to go offline', async () => (await lifecycle(token, id)).live === false, { timeoutMs: 60_000 });
  for (const service of ['origin', 'api'] as const) {
    t.notOk(platform.logs(service).includes(FILE_SECRET), `the URL's secret is not in the ${service} log`);
    t.notOk(platform.logs(service).includes(key), `the stream key is not in the ${service} log`);
  }
});
