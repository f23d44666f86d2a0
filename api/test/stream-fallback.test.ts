import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { ffprobe, testAsset } from '../../test-support/ffmpeg.js';
import { waitFor } from '../../test-support/wait-for.js';
import type { App } from '../src/app.js';
import { FallbackFiles } from '../src/fallback/fallback-files.js';
import { FallbackUploader } from '../src/fallback/fallback-uploader.js';
import { FallbackWorkArea } from '../src/fallback/work-area.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { jobsUnderWay, workFiles } from './fixtures/fallback-work.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi } from './fixtures/test-api.js';

const execFileAsync = promisify(execFile);

function upload(app: App, token: string, streamId: string, body: Buffer, contentType = 'video/x-flv') {
  return app.inject({
    method: 'PUT',
    url: `/v1/streams/${streamId}/fallback`,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    payload: body,
  });
}

/** Fixtures made for this test: a video without audio, and files that are not video at all. */
async function makeInputs(t: Test) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-inputs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const videoOnly = path.join(dir, 'video-only.mp4');
  await execFileAsync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', testAsset('h264-aac.flv'), '-an', '-c', 'copy', videoOnly]);
  const playlist = path.join(dir, 'list.m3u8');
  await writeFile(playlist, '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n');
  return {
    flv: await readFile(testAsset('h264-aac.flv')),
    videoOnly: await readFile(videoOnly),
    audioOnly: await readFile(testAsset('aac-only.flv')),
    text: Buffer.from('this is not a video, just some text\n'.repeat(50)),
    playlist: await readFile(playlist),
  };
}

t.test('fallback video: upload, convert once, serve to origins, delete', async (t) => {
  const { app, internal } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const stream = await createStream(app, alice.token);
  const inputs = await makeInputs(t);

  const versionOf = async (id: string) =>
    (
      await internal.inject({
        method: 'PUT',
        url: '/ingests/origin-f',
        payload: {
          name: 'origin-f',
          region: 'local',
          priority: 1,
          url_templates: { rtmp: 'rtmp://localhost/stream/{stream_key}' },
          load: { streams: 1, bandwidth_bps: 0 },
          publishes: [{ session_id: `s-${id}`, stream: id, key_generation: 1 }],
        },
      })
    ).json().restream[id] as number;

  t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/fallback`)).statusCode, 404, 'none yet');
  t.equal(await versionOf(stream.id), 0);

  t.test('a real clip is converted to H.264 main + AAC 48 kHz stereo FLV with a keyframe every 2 s', async (t) => {
    const created = await upload(app, alice.token, stream.id, inputs.flv);
    t.equal(created.statusCode, 201, created.body);
    const { fallback } = created.json();
    t.match(fallback, { width: 640, height: 360, updated_at: /Z$/ });
    t.ok(fallback.duration_s > 5.5 && fallback.duration_s < 6.5, `duration ${fallback.duration_s}`);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/fallback`)).json(), { fallback });
    t.equal(await versionOf(stream.id), 1, 'the restream version moved');

    const config = (await internal.inject(`/internal/streams/${stream.id}/restream`)).json();
    t.same(config.fallback, { version: 1, url: `/internal/streams/${stream.id}/fallback` });

    const download = await internal.inject(config.fallback.url);
    t.equal(download.statusCode, 200);
    t.equal(download.headers['content-type'], 'video/x-flv');
    t.equal(download.headers['x-fallback-version'], '1');
    t.equal(download.headers.etag, '"1"');
    t.equal(download.rawPayload.length, fallback.size_bytes);
    t.equal(Number(download.headers['content-length']), fallback.size_bytes);
    t.same(download.rawPayload.subarray(0, 3), Buffer.from('FLV'));

    const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-probe-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'fallback.flv');
    await writeFile(file, download.rawPayload);
    const probe = await ffprobe(file);
    t.equal(probe.errors, '', 'ffprobe decodes it without errors');
    const video = probe.streams.find((s) => s.codec_type === 'video');
    const audio = probe.streams.find((s) => s.codec_type === 'audio') as { codec_name: string; sample_rate?: string; channels?: number } | undefined;
    t.match(video, { codec_name: 'h264', profile: 'Main' });
    t.match(audio, { codec_name: 'aac', sample_rate: '48000', channels: 2 });
    const keyframes = probe.packets
      .filter((packet) => packet.codec_type === 'video' && packet.flags.startsWith('K'))
      .map((packet) => Math.round(Number(packet.pts_time)));
    t.same(keyframes, [0, 2, 4], 'a keyframe every FALLBACK_KEYFRAME_SECONDS');
  });

  t.test('a video without audio gets a silent track; replacing answers 200', async (t) => {
    const replaced = await upload(app, alice.token, stream.id, inputs.videoOnly, 'video/mp4; codecs="avc1.42c01e"');
    t.equal(replaced.statusCode, 200, replaced.body);
    t.equal(await versionOf(stream.id), 2);
    const config = (await internal.inject(`/internal/streams/${stream.id}/restream`)).json();
    t.equal(config.fallback.version, 2, 'the fallback version follows');
    const download = await internal.inject(config.fallback.url);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-probe-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'fallback.flv');
    await writeFile(file, download.rawPayload);
    const probe = await ffprobe(file);
    t.same(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
    const lastAudio = probe.packets.filter((packet) => packet.codec_type === 'audio').at(-1);
    t.ok(Number(lastAudio?.pts_time) < 6.5, 'the silent track ends with the video');
  });

  t.test('not a video: 400 LIVE_ERR_FALLBACK_NOT_VIDEO naming the problem; the old fallback stays', async (t) => {
    const before = (await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/fallback`)).json();
    const cases: [Buffer, string, RegExp][] = [
      [inputs.audioOnly, 'video/x-flv', /^the fallback upload is not a usable video: it has no video stream \(found: audio \(aac\)\)$/],
      [inputs.text, 'application/octet-stream', /^the fallback upload is not a usable video: the upload: Invalid data found when processing input$/],
      [inputs.playlist, 'application/octet-stream', /^the fallback upload is not a usable video: its format \(hls\) is not a video container this API takes/],
      [Buffer.alloc(0), 'video/mp4', /^the fallback upload is not a usable video: the body is empty$/],
    ];
    for (const [body, type, message] of cases) {
      const response = await upload(app, alice.token, stream.id, body, type);
      t.equal(response.statusCode, 400, response.body);
      t.equal(response.json().error.code, 'LIVE_ERR_FALLBACK_NOT_VIDEO');
      t.match(response.json().error.message, message);
      t.notMatch(response.json().error.message, /\/tmp|\.incoming|livestack-fallback/, 'no server paths');
    }
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/fallback`)).json(), before);
    t.equal(await versionOf(stream.id), 2, 'failed uploads change nothing');
  });

  t.test('415 for other content types, 404 for streams that are not yours', async (t) => {
    for (const type of ['application/json', 'text/plain', 'image/png']) {
      const response = await upload(app, alice.token, stream.id, Buffer.from('{}'), type);
      t.equal(response.statusCode, 415, type);
      t.equal(response.json().error.code, 'LIVE_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    for (const token of [bob.token, ADMIN_TOKEN]) {
      t.equal((await upload(app, token, stream.id, inputs.flv)).statusCode, 404);
      t.equal((await call(app, token, 'GET', `/v1/streams/${stream.id}/fallback`)).statusCode, 404);
      t.equal((await call(app, token, 'DELETE', `/v1/streams/${stream.id}/fallback`)).statusCode, 404);
    }
    const unknown = await upload(app, alice.token, 'zzzzzzzz', inputs.flv);
    t.equal(unknown.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
    t.equal((await upload(app, 'lst_nope', stream.id, inputs.flv)).statusCode, 401);
    t.equal((await internal.inject('/internal/streams/zzzzzzzz/fallback')).statusCode, 404);
    t.equal((await internal.inject('/internal/streams/golive/fallback')).statusCode, 404);
  });

  t.test('DELETE removes the video and its file', async (t) => {
    const deleted = await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}/fallback`);
    t.equal(deleted.statusCode, 204);
    t.equal(await versionOf(stream.id), 3, 'the version moved');
    const missing = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/fallback`);
    t.equal(missing.statusCode, 404);
    t.same(missing.json().error, { code: 'LIVE_ERR_FALLBACK_NOT_FOUND', message: `stream "${stream.id}" has no fallback video` });
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}/fallback`)).statusCode, 404);
    t.equal((await internal.inject(`/internal/streams/${stream.id}/fallback`)).statusCode, 404);
    t.equal((await internal.inject(`/internal/streams/${stream.id}/restream`)).json().fallback, null);
  });
});

t.test('the file goes with its stream and with its user', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-dir-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { app } = await startTestApi(t, { fallbackPath: dir });
  const flv = await readFile(testAsset('h264-aac.flv'));
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  t.equal((await upload(app, alice.token, stream.id, flv)).statusCode, 201);
  t.ok((await stat(path.join(dir, `${stream.id}.flv`))).size > 0, 'stored as FALLBACK_PATH/<stream id>.flv');
  t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${stream.id}`)).statusCode, 204);
  await t.rejects(stat(path.join(dir, `${stream.id}.flv`)), { code: 'ENOENT' }, 'deleting the stream removes the file');

  const other = await createStream(app, alice.token);
  t.equal((await upload(app, alice.token, other.id, flv)).statusCode, 201);
  t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${alice.id}`)).statusCode, 204);
  await t.rejects(stat(path.join(dir, `${other.id}.flv`)), { code: 'ENOENT' }, 'deleting the user removes it too');
  t.same(await readdir(dir), ['.incoming'], 'only the converted files, and they are gone');
  t.same(await jobsUnderWay(dir), [], 'no work folders are left behind');
  t.same(await workFiles(dir), [], 'no work files either');
});

t.test('FALLBACK_MAX_BYTES: 413 with a JSON error, declared or streamed', async (t) => {
  const { app, redis } = await startTestApi(t, { fallbackMaxBytes: 100_000 });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const flv = await readFile(testAsset('h264-aac.flv'));

  const declared = await upload(app, token, stream.id, flv);
  t.equal(declared.statusCode, 413);
  t.same(declared.json().error, {
    code: 'LIVE_ERR_PAYLOAD_TOO_LARGE',
    message: 'the fallback video is larger than FALLBACK_MAX_BYTES=100000 bytes',
  });

  // Over a real socket, chunked: the limit is only found while the body streams in.
  const { app: server } = await buildTestApp(t, redis.url, { fallbackMaxBytes: 100_000 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as { port: number };
  const body = new PassThrough();
  const response = fetch(`http://127.0.0.1:${port}/v1/streams/${stream.id}/fallback`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'video/x-flv' },
    body: body as unknown as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  for (let offset = 0; offset < flv.length; offset += 16_384) body.write(flv.subarray(offset, offset + 16_384));
  body.end();
  const answer = await response;
  t.equal(answer.status, 413);
  t.equal(((await answer.json()) as { error: { code: string } }).error.code, 'LIVE_ERR_PAYLOAD_TOO_LARGE');
  t.equal((await call(app, token, 'GET', `/v1/streams/${stream.id}/fallback`)).statusCode, 404, 'nothing stored');
});

t.test('a conversion past its deadline is killed: FallbackTooSlowError (422)', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-slow-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const uploader = new FallbackUploader({
    workArea: new FallbackWorkArea(dir),
    files: new FallbackFiles(dir),
    store: {
      bytesUsed: async () => 0,
      reserve: async () => t.fail('nothing is reserved') as never,
      release: async () => undefined,
      put: async () => t.fail('nothing is stored') as never,
    },
    spool: { maxBytes: 10_000_000, idleSeconds: 30, timeoutSeconds: 900 },
    maxBytesPerUser: 1_000_000_000,
    maxUploads: 1,
    maxUploadsPerUser: 1,
    maxConversions: 1,
    maxDurationS: 600,
    maxResolution: { width: 1920, height: 1080 },
    keyframeSeconds: 2,
    timeoutMs: 1,
  });
  const body = new PassThrough();
  body.end(await readFile(testAsset('h264-aac.flv')));
  await t.rejects(uploader.upload('u', 'abcdefgh', body, undefined), {
    code: 'LIVE_ERR_FALLBACK_TOO_SLOW',
    statusCode: 422,
    message: /FALLBACK_CONVERT_TIMEOUT_SECONDS=0\.001/,
  });
});
