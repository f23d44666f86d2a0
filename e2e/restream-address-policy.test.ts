/**
 * A target saved while the API allowed private targets is still checked by the origin when it
 * connects, with its own ALLOW_PRIVATE_TARGETS (off here): `localhost` resolves to loopback, so
 * the origin refuses it, nothing reaches the receiver listening there, and the status the API
 * shows says "refused" and no more (the origin's log has the details).
 */
import t from 'tap';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_address_policy_token';
let platform: Platform;
let receiver: RtmpReceiver;

t.before(async () => {
  receiver = await startRtmpReceiver({ expectedKey: 'lab-key' });
  platform = await startPlatform(
    { ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500', RESTREAM_RETRY_ATTEMPTS: '2', RESTREAM_RETRY_DELAY_S: '0.2' },
    { api: { ALLOW_PRIVATE_TARGETS: '1' } },
  );
});
t.teardown(async () => {
  await platform?.stop();
  await receiver?.close();
});

const api = (method: string, path: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, path, body);

t.test('localhost saved under the API\'s ALLOW_PRIVATE_TARGETS=1 is refused by the origin when it connects', async (t) => {
  const stream = (await api('POST', '/v1/streams', { name: 'Rebound' })).json;
  const target = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://localhost:${receiver.port}/live`,
    stream_key: 'lab-key',
  });
  t.equal(target.status, 201, 'the API took it: its own setting allows private targets');

  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());

  const status = await waitFor('the target to fail', async () => {
    const list = (await api('GET', `/v1/streams/${stream.id}/restream-targets`)).json.data as Array<{ id: string; status: { state: string; last_error: unknown } | null }>;
    const found = list.find((entry) => entry.id === target.json.id)?.status;
    return found?.state === 'failed' ? found : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 });
  t.match(status.last_error, { message: 'refused' }, 'the status says refused');
  t.notMatch(JSON.stringify(status), /localhost|127\.0\.0\.1|loopback|ECONN/, 'and nothing that would tell a port scanner more');
  t.equal(receiver.publishes.length, 0, 'nothing was published to the receiver on loopback');
  t.match(platform.logs('origin'), /host \\"localhost\\" resolves to (127\.0\.0\.1|::1), a loopback address/, 'the origin logs why');
});
