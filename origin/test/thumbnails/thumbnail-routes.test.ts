/**
 * The origin's thumbnail routes over real HTTP with real ffmpeg: segments made by ffmpeg in a
 * recordings folder and a live HLS folder, the pictures read back by ffprobe.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { buildHttpApp } from '../../src/http/app.js';
import { removeRecording } from '../../src/recording/recording-files.js';
import { stringifyRecordingPlaylist } from '../../src/recording/recording-playlist.js';
import type { HeldRecording } from '../../src/recording/video-reporter.js';
import { makeThumbnail, type ThumbnailJob } from '../../src/thumbnails/thumbnail-maker.js';
import { ThumbnailJobs } from '../../src/thumbnails/thumbnail-jobs.js';
import { Thumbnails } from '../../src/thumbnails/thumbnails.js';
import { isJpeg, probeJpeg } from '../../../test-support/jpeg-probe.js';

const execFileAsync = promisify(execFile);
const UID = 'a'.repeat(32);
const OPEN_UID = 'b'.repeat(32);
const LIVE_MAX_AGE_S = 2;

/** A 2 s 640x360 H.264 segment in MPEG-TS, its timestamps from `startSeconds` (as after a discontinuity they restart). */
async function makeSegment(file: string, startSeconds: number): Promise<void> {
  await execFileAsync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p',
    '-output_ts_offset', String(startSeconds), '-f', 'mpegts', '-y', file,
  ]);
}

let segments: { first: string; second: string };

t.before(async () => {
  const folder = t.testdir({});
  segments = { first: join(folder, 'first.ts'), second: join(folder, 'second.ts') };
  await makeSegment(segments.first, 10);
  await makeSegment(segments.second, 0);
});

interface Served {
  request(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json: () => unknown }>;
  recordingFolder: string;
  made: ThumbnailJob[];
}

async function serve(t: Test, options: { concurrency?: number; queueLimit?: number; timeoutMs?: number; keptPerVideo?: number; make?: (job: ThumbnailJob) => Promise<Buffer> } = {}): Promise<Served> {
  const root = t.testdir({ hls: {}, recordings: {} });
  const recordingFolder = join(root, 'recordings', 'golive', UID);
  const openFolder = join(root, 'recordings', 'golive', OPEN_UID);
  const liveFolder = join(root, 'hls', 'golive');
  const playlist = {
    targetDurationSeconds: 2,
    segments: [
      { uri: '0.ts', durationSeconds: 2, discontinuity: false },
      { uri: '1.ts', durationSeconds: 2, discontinuity: true },
    ],
  };
  for (const folder of [recordingFolder, openFolder, liveFolder]) await mkdir(folder, { recursive: true });
  for (const [folder, ended] of [[recordingFolder, true], [openFolder, false]] as const) {
    await writeFile(join(folder, 'index.m3u8'), stringifyRecordingPlaylist({ ...playlist, ended }));
    await execFileAsync('cp', [segments.first, join(folder, '0.ts')]);
    await execFileAsync('cp', [segments.second, join(folder, '1.ts')]);
  }
  await writeFile(join(liveFolder, 'index.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2.000,\n7.ts\n#EXTINF:2.000,\n8.ts\n');
  await execFileAsync('cp', [segments.first, join(liveFolder, '7.ts')]);
  await execFileAsync('cp', [segments.second, join(liveFolder, '8.ts')]);
  // An ABR stream (issue 13): index.m3u8 lists the variants, source.m3u8 the source's segments.
  const ladderFolder = join(root, 'hls', 'ladder');
  await mkdir(ladderFolder);
  await writeFile(join(ladderFolder, 'index.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nsource.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=300000\n180p.m3u8\n');
  await writeFile(join(ladderFolder, 'source.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:2.000,\n3.ts\n');
  await execFileAsync('cp', [segments.first, join(ladderFolder, '3.ts')]);

  const held: Record<string, HeldRecording> = {
    [UID]: { stream: 'golive', folder: recordingFolder, ready: true },
    [OPEN_UID]: { stream: 'golive', folder: openFolder, ready: false },
  };
  const made: ThumbnailJob[] = [];
  const make = options.make ?? makeThumbnail;
  const queueLimit = options.queueLimit ?? 4;
  const thumbnails = new Thumbnails({
    hlsPath: join(root, 'hls'),
    jobs: new ThumbnailJobs({ concurrency: options.concurrency ?? 2, queueLimit }),
    timeoutMs: options.timeoutMs ?? 20_000,
    keptPerVideo: options.keptPerVideo ?? 100,
    logger: { warn: () => undefined } as never,
    make: (job) => {
      made.push(job);
      return make(job);
    },
  });
  const app = buildHttpApp({ hlsPath: join(root, 'hls'), recording: (uid) => held[uid], thumbnails: { thumbnails, queueLimit, liveMaxAgeS: LIVE_MAX_AGE_S } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  // Several connections: a request held by the bound must not hold the others behind it.
  const client = new Pool(`http://127.0.0.1:${address.port}`, { connections: 8 });
  t.teardown(async () => {
    await client.close();
    await app.close();
  });
  return {
    recordingFolder,
    made,
    request: async (path) => {
      const response = await client.request({ path, method: 'GET' });
      const body = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: response.headers, body, json: () => JSON.parse(body.toString('utf8')) };
    },
  };
}

t.test('a ready recording: a JPEG of the requested height from the segment holding the time, kept for good', async (t) => {
  const { request, made, recordingFolder } = await serve(t);
  const answer = await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=3.5s&height=271`);
  t.equal(answer.status, 200);
  t.equal(answer.headers['content-type'], 'image/jpeg');
  t.equal(answer.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.ok(isJpeg(answer.body), 'JPEG magic bytes');
  t.same(await probeJpeg(answer.body), { codec: 'mjpeg', width: 480, height: 270 }, 'odd height made even, width kept to the aspect ratio');
  t.same(
    made.map((job) => ({ segment: job.segmentPath.slice(-4), offsetTenths: job.offsetTenths, height: job.height })),
    [{ segment: '1.ts', offsetTenths: 15, height: 270 }],
    'made from 1.ts alone (after the discontinuity), 1.5 s into it',
  );
  t.ok((await readdir(recordingFolder)).includes('thumbnail-1-15-270.jpg'), 'kept in the recording folder');

  const again = await request(`/videos/${UID}/thumbnails/thumbnail.jpg?height=270&time=3.5`);
  t.equal(again.status, 200);
  t.same(again.body, answer.body, 'the same picture');
  t.equal(made.length, 1, 'read back from the folder, not made again');

  await removeRecording(recordingFolder);
  await t.rejects(readdir(recordingFolder), { code: 'ENOENT' }, 'deleting the video removes its thumbnails with it (the folder went: nothing was left in it)');
});

t.test('past THUMBNAILS_KEPT_PER_VIDEO a picture is made and answered, not kept', async (t) => {
  const { request, made, recordingFolder } = await serve(t, { keptPerVideo: 1 });
  t.equal((await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=1`)).status, 200);
  const notKept = await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=2`);
  t.equal(notKept.status, 200);
  t.ok(isJpeg(notKept.body));
  t.same((await readdir(recordingFolder)).filter((name) => name.endsWith('.jpg')), ['thumbnail-0-10-source.jpg'], 'only the first is on disk');
  await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=2`);
  t.equal(made.length, 3, 'the one not kept is made again when asked again (the edge keeps it in front)');
});

t.test('the video height by default; time past the end is the last segment; concurrent requests make one picture', async (t) => {
  const { request, made } = await serve(t);
  const answers = await Promise.all([1, 2, 3].map(() => request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=1h`)));
  t.same(answers.map((answer) => answer.status), [200, 200, 200]);
  t.equal(made.length, 1, 'three identical requests, one ffmpeg');
  t.same({ segment: made[0]!.segmentPath.slice(-4), offsetTenths: made[0]!.offsetTenths, height: made[0]!.height }, { segment: '1.ts', offsetTenths: 0, height: undefined });
  t.same(await probeJpeg(answers[0]!.body), { codec: 'mjpeg', width: 640, height: 360 });
  const start = await request(`/videos/${UID}/thumbnails/thumbnail.jpg`);
  t.equal(start.status, 200, 'time 0');
  t.same({ segment: made[1]!.segmentPath.slice(-4), offsetTenths: made[1]!.offsetTenths }, { segment: '0.ts', offsetTenths: 0 });
});

t.test('a recording still in progress: reused for a moment only', async (t) => {
  const { request } = await serve(t);
  const answer = await request(`/videos/${OPEN_UID}/thumbnails/thumbnail.jpg?time=1`);
  t.equal(answer.status, 200);
  t.equal(answer.headers['cache-control'], `public, max-age=${LIVE_MAX_AGE_S}`);
});

t.test('a live stream: its newest segment\'s first frame, reused for a moment', async (t) => {
  const { request, made } = await serve(t);
  const answer = await request('/golive/thumbnails/thumbnail.jpg?height=180');
  t.equal(answer.status, 200);
  t.equal(answer.headers['cache-control'], `public, max-age=${LIVE_MAX_AGE_S}`);
  t.same(await probeJpeg(answer.body), { codec: 'mjpeg', width: 320, height: 180 });
  t.same({ segment: made[0]!.segmentPath.slice(-4), offsetTenths: made[0]!.offsetTenths }, { segment: '8.ts', offsetTenths: 0 });
  await request('/golive/thumbnails/thumbnail.jpg?height=180');
  t.equal(made.length, 1, 'kept while 8.ts is the newest segment');
  const ladder = await request('/ladder/thumbnails/thumbnail.jpg?height=180');
  t.equal(ladder.status, 200, 'an ABR stream: from its source');
  t.equal(made.at(-1)!.segmentPath.slice(-4), '3.ts');
  const none = await request('/offline/thumbnails/thumbnail.jpg');
  t.equal(none.status, 404);
  t.match(none.json(), { error: { code: 'LIVE_ERR_MEDIA_NOT_FOUND' } });
});

t.test('bad queries and unknown videos', async (t) => {
  const { request, made } = await serve(t);
  const badTime = await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=soon`);
  t.equal(badTime.status, 400);
  t.match(badTime.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_QUERY', message: /time "soon" is not a time/ } });
  const badHeight = await request('/golive/thumbnails/thumbnail.jpg?height=5000');
  t.equal(badHeight.status, 400);
  t.match(badHeight.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_QUERY', message: /height "5000"/ } });
  const unknown = await request(`/videos/${'c'.repeat(32)}/thumbnails/thumbnail.jpg`);
  t.equal(unknown.status, 404);
  t.match(unknown.json(), { error: { code: 'LIVE_ERR_MEDIA_NOT_FOUND' } });
  t.equal((await request('/videos/nothex/thumbnails/thumbnail.jpg')).status, 400);
  t.equal(made.length, 0, 'nothing made for any of them');
});

t.test('over the bound: 503 with Retry-After; a stuck ffmpeg is killed at the deadline', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered!: () => void;
  const running = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const { request } = await serve(t, {
    concurrency: 1,
    queueLimit: 0,
    make: async (job) => {
      entered();
      await held;
      return makeThumbnail(job);
    },
  });
  const first = request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=1`);
  await running;
  const busy = await request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=2`);
  t.equal(busy.status, 503, 'the only place is taken and none may wait');
  t.equal(busy.headers['retry-after'], '1');
  t.match(busy.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_BUSY' } });
  release();
  t.equal((await first).status, 200, 'the one in place is answered');

  const slow = await serve(t, { timeoutMs: 1 });
  const killed = await slow.request(`/videos/${UID}/thumbnails/thumbnail.jpg?time=1`);
  t.equal(killed.status, 500);
  t.match(killed.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_FAILED', message: /ran longer than 1 ms/ } });
});
