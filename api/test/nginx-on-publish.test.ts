/**
 * The 302 answer to nginx-rtmp's on_publish, against a real nginx-rtmp: nginx renames the live
 * stream of a managed key to the stream id (the Location) and plays it under that name. Skipped
 * when nginx-rtmp is not installed.
 *
 * nginx-rtmp's HLS module takes the stream name before on_publish answers, so HLS under the id
 * needs the rename to reach a second application: `push rtmp://127.0.0.1/<hls app>;` in the app
 * with on_publish, and `hls on` in the pushed-to app (publish allowed from 127.0.0.1 only).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { publishFile, testAsset } from '../../test-support/ffmpeg.js';
import { startNginxRtmp } from '../../test-support/nginx-rtmp.js';
import { waitFor } from '../../test-support/wait-for.js';
import { createStream, createUser } from './fixtures/api-client.js';
import { TEST_INTERNAL_TOKEN, startTestApi } from './fixtures/test-api.js';


/** The codecs of a live RTMP stream (stream headers only, so it returns while the stream goes on). */
async function probeCodecs(url: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', url], {
    timeout: 10_000,
  });
  return (JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams.map((s) => s.codec_name).sort();
}

t.test('nginx-rtmp publishes a managed key under the stream id', async (t) => {
  const { app, internalApp } = await startTestApi(t);
  const internalUrl = await internalApp.listen({ port: 0, host: '127.0.0.1' });
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-api-nginx-'));
  t.teardown(() => rm(hlsPath, { recursive: true, force: true }));
  const nginx = await startNginxRtmp({ hlsPath, onPublishUrl: `${internalUrl}/authorize`, internalToken: TEST_INTERNAL_TOKEN });
  t.teardown(() => nginx.stop());

  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  const wrong = publishFile(testAsset('h264-aac.flv'), `${nginx.rtmpUrl}/publish_${stream.id}_${'A'.repeat(24)}`);
  t.teardown(() => wrong.stop());
  t.not(await wrong.exited, 0, 'nginx refuses a wrong key (our 403)');

  const publisher = publishFile(testAsset('h264-aac.flv'), `${nginx.rtmpUrl}/${stream.rtmpKey}`, { loops: -1 });
  t.teardown(() => publisher.stop());
  await waitFor('nginx to follow the redirect', async () => (await nginx.errorLog()).includes(`publish redirect to '${stream.id}'`), {
    timeoutMs: 30_000,
  });
  t.same(await probeCodecs(`${nginx.rtmpUrl}/${stream.id}`), ['aac', 'h264'], 'the live stream plays under the stream id');
  t.ok((await app.redis.hgetall(`publisher:${stream.id}`)).session_id, 'the publish took the lease');

  const second = publishFile(testAsset('h264-aac.flv'), `${nginx.rtmpUrl}/${stream.rtmpKey}`);
  t.teardown(() => second.stop());
  t.not(await second.exited, 0, 'a second publisher with the same key is refused while the lease lasts (our 409)');
  t.equal(publisher.child.exitCode, null, 'the first one keeps going');
});
