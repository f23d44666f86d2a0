/**
 * Issue 15's SRT ingest, end to end with real Redis, API, origin, discovery and edge: Debian's
 * ffmpeg (libsrt) publishes H.264 + AAC MPEG-TS over SRT with the stream's SRT key from the API,
 * through the URL the origin lists in GET /v1/ingests?protocol=srt; the stream plays through the
 * edge and ffprobe decodes a segment. A wrong key, or a streamid asking to play, is refused in the
 * handshake (ffmpeg exits non-zero); through a relay losing 5 % of the packets both ways the
 * segments still decode.
 */
import t, { type Test } from 'tap';
import { ffprobe, publishFile, testAsset } from '../test-support/ffmpeg.js';
import { startLossyUdpRelay } from '../test-support/lossy-udp-relay.js';
import { playlistSegments } from '../test-support/newest-segment.js';
import { sendOverSrt } from '../test-support/srt-caller.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_srt_ingest_token';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);

async function newStream(name: string): Promise<{ id: string; key: string; token: string }> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name: `Over SRT (${name})` })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((entry: { protocol: string }) => entry.protocol === 'srt').stream_key as string;
  return { id: stream.id, key, token };
}

/** ffmpeg's SRT options: latency in µs. */
const srtUrl = (port: number, streamId: string, latencyMs = 200) => `srt://127.0.0.1:${port}?streamid=${streamId}&latency=${latencyMs * 1000}`;

/** Waits for the edge's playlist of `id` to list two segments not in `seen`; ffprobe decodes the newest. */
async function decodedSegment(t: Test, id: string, seen: ReadonlySet<string> = new Set()): Promise<string[]> {
  const segments = await waitFor(
    'the edge to serve the stream',
    async () => {
      const uris = (await playlistSegments(platform.edgeUrl, id))?.filter((uri) => !seen.has(uri));
      return uris && uris.length >= 2 ? uris : undefined;
    },
    { timeoutMs: 90_000 },
  );
  const probe = await ffprobe(`${platform.edgeUrl}/${id}/${segments.at(-1)}`);
  t.equal(probe.errors, '', 'ffprobe decodes a segment served by the edge');
  t.same(probe.streams.map((stream) => stream.codec_name).sort(), ['aac', 'h264']);
  t.ok(probe.packets.some((packet) => packet.codec_type === 'video'), 'the segment has video');
  return segments;
}

t.test("ffmpeg publishes over SRT with the stream's SRT key through the listed URL: live through the edge", async (t) => {
  const { id, key, token } = await newStream('srt-caller');
  t.match(key, new RegExp(`^publish/${id}/[A-Za-z0-9]{24}$`), 'the SRT key is the streamid');
  const ingests = (await api(token, 'GET', '/v1/ingests?protocol=srt')).json.ingests as Array<{ url_template: string }>;
  t.same(ingests.map((ingest) => ingest.url_template), [`srt://localhost:${platform.srtPort}?streamid={stream_key}`], 'the origin lists its SRT URL');
  const url = `${ingests[0]!.url_template.replace('{stream_key}', key).replace('localhost', '127.0.0.1')}&latency=200000`;
  const caller = sendOverSrt(testAsset('h264-aac.flv'), url, { loops: -1 });
  t.teardown(() => caller.stop());

  await decodedSegment(t, id);
  t.match((await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json, { live: true });
  t.notMatch(platform.logs('origin'), key.split('/')[2]!, 'the secret is never logged');

  await caller.stop();
  await waitFor('the stream to end', async () => (await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json.live === false, { timeoutMs: 60_000 });
  t.pass('the stream ended with the caller');
});

t.test('the access-control streamid form publishes too', async (t) => {
  const { id, key } = await newStream('srt-access-control');
  const caller = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(platform.srtPort, `#!::r=${key},m=publish`), { loops: -1 });
  t.teardown(() => caller.stop());
  await decodedSegment(t, id);
});

t.test('a wrong key and a streamid asking to play are refused in the handshake', async (t) => {
  const { id, key } = await newStream('srt-refused');
  const wrong = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(platform.srtPort, `publish/${id}/AAAAAAAAAAAAAAAAAAAAAAAA`));
  t.teardown(() => wrong.stop());
  t.not(await wrong.exited, 0, 'ffmpeg gives up on a wrong key');
  t.match(wrong.stderr, /reject/i, `ffmpeg says it was rejected (${wrong.stderr.trim().slice(0, 300)})`);
  const play = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(platform.srtPort, `#!::r=${key},m=request`));
  t.teardown(() => play.stop());
  t.not(await play.exited, 0, 'nor may the key play (m=request)');
  t.match(platform.logs('origin'), /publish refused/);
  t.notMatch(platform.logs('origin'), /AAAAAAAAAAAAAAAAAAAAAAAA/, 'the key is never logged');
});

t.test('through a relay losing 5 % of the packets both ways, the segments still decode', async (t) => {
  const { id, key } = await newStream('srt-lossy');
  const relay = await startLossyUdpRelay({ targetPort: platform.srtPort, lossRate: 0.05, seed: 1500 });
  t.teardown(() => relay.close());
  const caller = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(relay.port, key, 500), { loops: -1 });
  t.teardown(() => caller.stop());
  await decodedSegment(t, id);
  t.ok(relay.dropped.toTarget > 0 && relay.dropped.toCaller > 0, `the relay lost packets both ways (${JSON.stringify(relay.dropped)})`);
});

t.test('a stream published over RTMP goes on over SRT at the same playback URL', async (t) => {
  const { id, key: srtKey, token } = await newStream('rtmp-then-srt');
  const keys = (await api(token, 'GET', `/v1/streams/${id}/stream-keys`)).json;
  const rtmpKey = keys.data.find((entry: { protocol: string }) => entry.protocol === 'rtmp').stream_key as string;
  const rtmp = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${rtmpKey}`, { loops: -1 });
  t.teardown(() => rtmp.stop());
  const overRtmp = await decodedSegment(t, id);
  await rtmp.stop();
  // Until the origin has told the API the RTMP publisher left, the stream's lease is still held
  // and the SRT caller is refused (1407): it tries again, as an encoder does.
  let caller = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(platform.srtPort, srtKey), { loops: -1 });
  const retry = setInterval(() => {
    if (caller.child.exitCode !== null) caller = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(platform.srtPort, srtKey), { loops: -1 });
  }, 500);
  t.teardown(async () => {
    clearInterval(retry);
    await caller.stop();
  });
  await decodedSegment(t, id, new Set(overRtmp));
  clearInterval(retry);
  t.match((await api(token, 'GET', `/v1/streams/${id}/lifecycle`)).json, { live: true, publisher: 'connected' }, 'live again, over SRT');
});
