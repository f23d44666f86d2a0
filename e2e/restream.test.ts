/**
 * Issue 4's user path: a user adds Twitch, YouTube and a custom target through the API, goes live
 * once, and all three receive the stream. The platforms' ingest URLs are settings, pointed here at
 * real RTMP receivers on this machine.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ffprobe, publishFile, testAsset } from '../test-support/ffmpeg.js';
import { flvFileOf, startRtmpReceiver, type RtmpReceiver } from '../test-support/rtmp-receiver.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_restream_token_123';
let platform: Platform;
const receivers: Record<'twitch' | 'youtube' | 'custom' | 'wrongKey', RtmpReceiver | undefined> = {
  twitch: undefined,
  youtube: undefined,
  custom: undefined,
  wrongKey: undefined,
};

t.before(async () => {
  receivers.twitch = await startRtmpReceiver({ expectedKey: 'live_1234_twitchsecret' });
  receivers.youtube = await startRtmpReceiver({ expectedKey: 'abcd-efgh-ijkl-mnop' });
  receivers.custom = await startRtmpReceiver({ expectedKey: 'custom-key' });
  receivers.wrongKey = await startRtmpReceiver({ expectedKey: 'the-right-key', refuseBy: 'close' });
  platform = await startPlatform({
    ADMIN_TOKEN,
    ALLOWED_STREAMS: '',
    ALLOW_PRIVATE_TARGETS: '1',
    TWITCH_INGEST_URL: `rtmp://127.0.0.1:${receivers.twitch.port}/app`,
    YOUTUBE_INGEST_URL: `rtmp://127.0.0.1:${receivers.youtube.port}/live2`,
    INGEST_HEARTBEAT_MS: '500',
    RESTREAM_RETRY_ATTEMPTS: '2',
    RESTREAM_RETRY_DELAY_S: '0.2',
  });
});
t.teardown(async () => {
  await platform?.stop();
  for (const receiver of Object.values(receivers)) await receiver?.close();
});

const api = (method: string, apiPath: string, body?: object) => v1Request(platform.apiUrl, ADMIN_TOKEN, method, apiPath, body);

t.test('one publish reaches Twitch, YouTube and a custom server; failures and changes show up', async (t) => {
  const stream = (await api('POST', '/v1/streams', { name: 'Simulcast' })).json;
  const twitch = await api('POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'live_1234_twitchsecret' });
  t.equal(twitch.status, 201, 'twitch target created');
  t.notMatch(twitch.text, 'twitchsecret', 'the key is masked in the response');
  const youtube = await api('POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'youtube', stream_key: 'abcd-efgh-ijkl-mnop' });
  t.equal(youtube.status, 201);
  const custom = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    name: 'My server',
    stream_url: `rtmp://127.0.0.1:${receivers.custom!.port}/live`,
    stream_key: 'custom-key',
  });
  t.equal(custom.status, 201);
  const wrong = await api('POST', `/v1/streams/${stream.id}/restream-targets`, {
    platform: 'custom',
    stream_url: `rtmp://127.0.0.1:${receivers.wrongKey!.port}/live`,
    stream_key: 'a-wrong-key',
    retry: { attempts: 2, delay_s: 0.2 },
  });
  t.equal(wrong.status, 201);

  const key = (await api('GET', `/v1/streams/${stream.id}/stream-keys`)).json.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key;
  const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
  t.teardown(() => publisher.stop());

  for (const name of ['twitch', 'youtube', 'custom'] as const) {
    const received = await waitFor(`${name} to receive video`, () => {
      const publish = receivers[name]!.publishes[0];
      return publish && publish.tags.filter((tag) => tag.type === 9).length > 60 ? publish : undefined;
    }, { timeoutMs: 60_000 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-restream-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, `${name}.flv`);
    await writeFile(file, flvFileOf(received.tags));
    const probe = await ffprobe(file);
    t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], `${name} receives H.264 + AAC that ffprobe decodes`);
  }

  const targets = await waitFor('statuses', async () => {
    const list = (await api('GET', `/v1/streams/${stream.id}/restream-targets`)).json.data as Array<{ id: string; status: { state: string; last_error: string | null } | null }>;
    const live = list.filter((target) => target.status?.state === 'live').length;
    const failed = list.find((target) => target.id === wrong.json.id)?.status?.state === 'failed';
    return live === 3 && failed ? list : undefined;
  }, { timeoutMs: 60_000 });
  t.ok(targets.find((target) => target.id === wrong.json.id)?.status?.last_error, 'the wrong key ends in failed with a reason');
  t.notMatch(JSON.stringify(targets), /twitchsecret|custom-key|a-wrong-key/, 'no key in the target list');

  const lifecycle = (await api('GET', `/v1/streams/${stream.id}/lifecycle`)).json;
  t.equal(lifecycle.live, true);
  t.ok(Array.isArray(lifecycle.restream) && lifecycle.restream.length === 4, 'lifecycle shows the restream status');

  const disabledAt = Date.now();
  t.equal((await api('PATCH', `/v1/streams/${stream.id}/restream-targets/${custom.json.id}`, { enabled: false })).status, 200);
  await waitFor('the custom push to end', () => receivers.custom!.publishes[0]!.closed, { timeoutMs: 60_000 });
  t.comment(`a disabled target stops ${Date.now() - disabledAt} ms after the PATCH`);
  t.equal(publisher.child.exitCode, null, 'ingest is unaffected');
});
