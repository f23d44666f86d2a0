/**
 * FALLBACK_MAX_RESOLUTION: an oversized upload is converted to fit the box, keeping its aspect
 * ratio, in either orientation; a smaller one is never scaled up. Real ffmpeg makes the inputs,
 * converts them, and ffprobe measures what origins would download.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { testAsset } from '../../test-support/ffmpeg.js';
import { createStream, createUser } from './fixtures/api-client.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

const execFileAsync = promisify(execFile);

const scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-fallback-resolution-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));

/** A 2 s H.264 MP4 test pattern of this size, at 4 frames a second to keep it cheap. */
async function clip(size: string): Promise<Buffer> {
  const file = path.join(scratch, `${size}.mp4`);
  await execFileAsync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=4`, '-t', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file,
  ]);
  return readFile(file);
}

/** Width and height of the video of the fallback origins download, as ffprobe reads it. */
async function probedSize(internal: InternalCaller, streamId: string): Promise<string> {
  const download = await internal.inject(`/internal/streams/${streamId}/fallback`);
  const file = path.join(scratch, `${streamId}.flv`);
  await writeFile(file, download.rawPayload);
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', file]);
  return stdout.trim();
}

t.test('the default cap, 1920x1080: larger pictures are scaled down to fit, smaller ones kept', async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const cases: [input: Buffer, expected: string][] = [
    [await clip('4096x4096'), '1080x1080'],
    [await clip('3840x2160'), '1920x1080'],
    // Portrait: the same box, turned.
    [await clip('1080x3840'), '540x1920'],
    [await readFile(testAsset('h264-aac.flv')), '640x360'],
  ];
  for (const [input, expected] of cases) {
    const stream = await createStream(app, token);
    const response = await app.inject({
      method: 'PUT',
      url: `/v1/streams/${stream.id}/fallback`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' },
      payload: input,
    });
    t.equal(response.statusCode, 201, response.body);
    const { width, height } = response.json().fallback as { width: number; height: number };
    t.equal(`${width}x${height}`, expected, 'the answer names the converted size');
    t.equal(await probedSize(internal, stream.id), expected, 'ffprobe measures the same in the stored file');
  }
});

t.test('FALLBACK_MAX_RESOLUTION=320x240 caps a 640x360 upload at 320x180', async (t) => {
  const { app, internal } = await startTestApi(t, { fallbackMaxResolution: { width: 320, height: 240 } });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const response = await app.inject({
    method: 'PUT',
    url: `/v1/streams/${stream.id}/fallback`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'video/x-flv' },
    payload: await readFile(testAsset('h264-aac.flv')),
  });
  t.equal(response.statusCode, 201, response.body);
  t.equal(await probedSize(internal, stream.id), '320x180');
});
