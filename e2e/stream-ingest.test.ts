/**
 * Issue 11's dashboard reads per live stream what its publisher sends: a real encoder publishes
 * to a managed stream, the origin's packager reads the media, its heartbeat carries it, and the
 * API's lifecycle shows it; once the publisher stops and the stream ends, it is gone. Also the
 * dashboard's `GET /v1/me` over real HTTP.
 */
import t from 'tap';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_stream_ingest_token';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);

async function newUser(name: string): Promise<{ id: string; token: string }> {
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name });
  const token = await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' });
  return { id: user.json.id, token: token.json.token };
}

t.test('the lifecycle shows what a live encoder sends, and nothing once the stream has ended', async (t) => {
  const { token } = await newUser('streamer');
  const stream = (await api(token, 'POST', '/v1/streams', { name: 'Test pattern' })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((entry: { protocol: string }) => entry.protocol === 'rtmp').stream_key as string;
  const lifecycle = async () => (await api(token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json;
  t.match(await lifecycle(), { live: false, ingest: null }, 'nothing before the publisher');

  const publisher = await publishTestPattern(`${platform.rtmpUrl}/${key}`, { fps: 30, audioChannels: 2 });
  t.teardown(() => publisher.stop());
  // The frame rate needs two heartbeats of the same publish: wait for it, not for a time.
  const live = await waitFor(
    'the lifecycle to show the ingest with its frame rate',
    async () => {
      const answer = await lifecycle();
      return answer.live && answer.ingest?.video?.fps != null && answer.ingest.bitrate_bps > 0 ? answer : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const { ingest } = live;
  t.comment(`ingest: ${JSON.stringify(ingest)}`);
  t.match(ingest.video, { codec: /^avc1\.[0-9a-f]{6}$/, width: 640, height: 360 });
  t.ok(Math.abs(ingest.video.fps - 30) <= 1.5, `about 30 fps in media time (${ingest.video.fps})`);
  t.same(ingest.audio, { codec: 'mp4a.40.2', sample_rate: 48_000, channels: 2 });
  t.ok(ingest.bitrate_bps > 0, `bitrate ${ingest.bitrate_bps} bit/s`);

  await publisher.stop();
  const ended = await waitFor(
    'the stream to end',
    async () => {
      const answer = await lifecycle();
      return answer.live === false ? answer : undefined;
    },
    { timeoutMs: 60_000 },
  );
  t.equal(ended.ingest, null, 'no ingest once the stream has ended');
});

t.test('GET /v1/me over HTTP: the admin, a user, and no token', async (t) => {
  const { id, token } = await newUser('Alice');
  t.same((await api(ADMIN_TOKEN, 'GET', '/v1/me')).json, {
    id: 'admin',
    name: 'admin',
    admin: true,
    storage: { usedBytes: 0, quotaBytes: null },
  }, 'the built-in admin has no recording quota');
  t.same((await api(token, 'GET', '/v1/me')).json, {
    id,
    name: 'Alice',
    admin: false,
    storage: { usedBytes: 0, quotaBytes: 100 * 1024 ** 3 },
  }, 'a new user has nothing recorded and the default quota (RECORDING_QUOTA_BYTES)');
  const anonymous = await fetch(`${platform.apiUrl}/v1/me`);
  t.equal(anonymous.status, 401);
  t.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'LIVE_ERR_UNAUTHORIZED');
});
