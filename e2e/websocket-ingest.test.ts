/**
 * Issue 15's WebSocket ingest (browser go-live), end to end over real HTTP with real ffmpeg and
 * Redis: a WebM (VP8 + Opus, what MediaRecorder sends) published over a WebSocket with the API's
 * `websocket` key goes live and plays through the edge as H.264 + AAC; a wrong key is refused at
 * the upgrade, before the socket opens; a message over WS_INGEST_MAX_MESSAGE_BYTES closes the
 * socket with 1009; when the page goes away the stream ends.
 */
import t from 'tap';
import { WebSocket } from 'ws';
import { ffprobe } from '../test-support/ffmpeg.js';
import { playlistSegments } from '../test-support/newest-segment.js';
import { waitFor } from '../test-support/wait-for.js';
import { publishWebmOverWebSocket } from '../test-support/webm-websocket-publisher.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_websocket_ingest_token';
const MAX_MESSAGE_BYTES = 64 * 1024;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform(
    { ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' },
    { origin: { WS_INGEST_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) } },
  );
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);

async function newStream(): Promise<{ id: string; key: string; token: string }> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name: 'browser' });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name: 'From the browser' })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((entry: { protocol: string }) => entry.protocol === 'websocket').stream_key as string;
  return { id: stream.id, key, token };
}

const ingestUrl = (key: string) => `${platform.originUrl.replace(/^http/, 'ws')}/ingest/ws?stream_key=${encodeURIComponent(key)}`;

/** The HTTP answer to a refused upgrade: status and JSON body; the socket never opens. */
function refusedUpgrade(url: string): Promise<{ status: number; body: { error: { code: string } }; opened: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let opened = false;
    socket.on('open', () => {
      opened = true;
      socket.close();
    });
    socket.on('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (piece: string) => (text += piece));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), opened }));
    });
    socket.on('error', (error) => reject(error));
    socket.on('close', () => opened && resolve({ status: 101, body: { error: { code: '' } }, opened }));
  });
}

t.test('a WebM over the WebSocket goes live, plays through the edge, and ends with the page', async (t) => {
  const { id, key, token } = await newStream();
  t.match(key, new RegExp(`^publish_${id}_`), 'the websocket key is the stream key');
  const ingests = (await api(token, 'GET', '/v1/ingests?protocol=websocket')).json.ingests as Array<{ url_template: string }>;
  const originPort = new URL(platform.originUrl).port;
  t.same(ingests.map((ingest) => ingest.url_template), [`ws://localhost:${originPort}/ingest/ws?stream_key={stream_key}`], 'the origin lists its WebSocket URL');
  // The template's own URL (localhost may name ::1 first; the origin listens on 127.0.0.1).
  const url = ingests[0]!.url_template.replace('{stream_key}', encodeURIComponent(key)).replace('localhost', '127.0.0.1');
  const publisher = await publishWebmOverWebSocket(url);
  t.teardown(() => publisher.stop());

  const segments = await waitFor('the edge to serve the stream', async () => {
    const uris = await playlistSegments(platform.edgeUrl, id);
    return uris && uris.length >= 2 ? uris : undefined;
  }, { timeoutMs: 90_000 });
  const probe = await ffprobe(`${platform.edgeUrl}/${id}/${segments.at(-1)}`);
  t.equal(probe.errors, '', 'ffprobe decodes a segment served by the edge');
  t.same(probe.streams.map((stream) => stream.codec_name).sort(), ['aac', 'h264'], 'VP8 + Opus came out as H.264 + AAC');
  t.ok(probe.packets.some((packet) => packet.codec_type === 'video'), 'the segment has video');
  t.match((await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json, { live: true });

  await publisher.stop();
  await waitFor('the stream to end', async () => (await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json.live === false, { timeoutMs: 60_000 });
  t.pass('the stream ended once the page went away');
});

t.test('a wrong key is refused at the upgrade, before the socket opens', async (t) => {
  const { id } = await newStream();
  const wrong = await refusedUpgrade(ingestUrl(`publish_${id}_AAAAAAAAAAAAAAAAAAAAAAAA`));
  t.equal(wrong.opened, false, 'no WebSocket: no media can be sent');
  t.equal(wrong.status, 403);
  t.equal(wrong.body.error.code, 'LIVE_ERR_FORBIDDEN');
  const missing = await refusedUpgrade(`${platform.originUrl.replace(/^http/, 'ws')}/ingest/ws`);
  t.equal(missing.status, 400);
  t.equal(missing.body.error.code, 'LIVE_ERR_VALIDATION');
  t.match(platform.logs('origin'), /publish refused/);
  t.notMatch(platform.logs('origin'), /AAAAAAAAAAAAAAAAAAAAAAAA/, 'the key is never logged');
});

t.test('a message over WS_INGEST_MAX_MESSAGE_BYTES closes the socket with 1009', async (t) => {
  const { key } = await newStream();
  const socket = new WebSocket(ingestUrl(key));
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(Buffer.alloc(MAX_MESSAGE_BYTES + 1));
  const { code, reason } = await closed;
  t.equal(code, 1009, `closed as too big (${reason})`);
});
