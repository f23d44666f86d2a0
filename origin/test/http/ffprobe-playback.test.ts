import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildHttpApp } from '../../src/http/app.js';
import { HlsDirectoryWriter } from '../../src/hls/hls-directory-writer.js';

const run = promisify(execFile);
const CLIP = fileURLToPath(new URL('../../../test-assets/h264-aac.flv', import.meta.url));

interface Probe {
  format: { duration: string };
  streams: { codec_type: string; codec_name: string; nb_read_packets: string }[];
}

// ffmpeg cuts the 6 s test clip into real MPEG-TS segments on its 1 s keyframes; our writer and
// server publish them; ffprobe plays the playlist over HTTP as an edge or player would.
t.test('ffprobe reads every segment of a written and served stream', async (t) => {
  const dir = t.testdir();
  await run('ffmpeg', [
    ...['-v', 'error', '-i', CLIP, '-c', 'copy', '-f', 'segment', '-segment_time', '1'],
    ...['-segment_format', 'mpegts', '-segment_list', join(dir, 'list.csv'), '-segment_list_type', 'csv'],
    join(dir, 'cut%d.ts'),
  ]);
  const cuts = (await readFile(join(dir, 'list.csv'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const [file = '', start = '', end = ''] = line.split(',');
      return { file, start: Number(start), end: Number(end) };
    });
  t.equal(cuts.length, 6);

  const hlsPath = join(dir, 'hls');
  const hls = new HlsDirectoryWriter({ hlsPath, targetDurationSeconds: 1, onBackgroundError: (error) => t.fail(error.message) });
  t.teardown(() => hls.close());
  const stream = await hls.startStream('golive');
  const epoch = Date.now();
  for (const cut of cuts) {
    await stream.writeSegment(await readFile(join(dir, cut.file)), {
      durationSeconds: cut.end - cut.start,
      programDateTime: new Date(epoch + cut.start * 1000),
    });
  }
  await stream.end();

  const app = buildHttpApp({ hlsPath });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-count_packets', '-of', 'json'],
    ...['-show_entries', 'format=duration:stream=codec_type,codec_name,nb_read_packets'],
    `${url}/golive/index.m3u8`,
  ]);
  const probe = JSON.parse(stdout) as Probe;
  t.equal(Number(probe.format.duration).toFixed(2), '6.02');
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  t.equal(video?.codec_name, 'h264');
  t.equal(video?.nb_read_packets, '180', 'all 6 s of 30 fps video came through');
  t.equal(audio?.codec_name, 'aac');
});
