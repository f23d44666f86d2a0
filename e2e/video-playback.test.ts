/**
 * Issue 12 step 3 end to end: a managed stream published with real ffmpeg becomes a `ready` video
 * in /v1 whose playback URL plays through the edge (real ffprobe/ffmpeg on the edge's URL), its
 * segments then served from the edge's cache; the live input answers 204 while nothing is live
 * and its lifecycle follows; a deleted video is 404 at the edge and its files leave the origin; a
 * stream that requires signed URLs requires them for its videos too. Thumbnails: the live input's
 * while live (204 before), and the ready video's at a time and height, made once by the origin
 * and then an edge cache hit, read back by ffprobe; a bad time is 400, a deleted video's is 404.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { frameAt, isJpeg, picturePsnr, probeJpeg } from '../test-support/jpeg-probe.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { AUDIO_KBPS, newStream, publishTestPattern, VIDEO_KBPS } from './recorded-stream.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_video_playback_token_01';
const SIGNING_KEY = 'e2e-video-playback-signing-key-0123456789';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({
    ADMIN_TOKEN,
    ALLOWED_STREAMS: '',
    INGEST_HEARTBEAT_MS: '500',
    PLAYBACK_SIGNING_KEY: SIGNING_KEY,
    // Deletions reach the origin at its next report, ended streams leave the edge soon after.
    VIDEO_REPORT_INTERVAL_SECONDS: '2',
    ENDED_GRACE_SECONDS: '3',
  });
});
t.teardown(() => platform?.stop());

interface Video {
  uid: string;
  status: { state: string };
  duration: number;
  size: number;
  playback: { hls: string };
  thumbnail: string;
}

async function videosOf(stream: { id: string; token: string }): Promise<Video[]> {
  return (await v1Request(platform.apiUrl, stream.token, 'GET', `/v1/streams/${stream.id}/videos`)).json.data as Video[];
}

/** The stream's one video once it is `ready` in /v1, and how long after `since` that was seen. */
async function readyVideo(stream: { id: string; token: string }, since: number): Promise<{ video: Video; readyMs: number }> {
  const video = await waitFor('the video to be ready in /v1', async () => {
    const [newest] = await videosOf(stream);
    return newest?.status.state === 'ready' ? newest : undefined;
  }, { timeoutMs: 90_000, intervalMs: 100 });
  return { video, readyMs: performance.now() - since };
}

const edge = (url: string, headers: Record<string, string> = {}) => fetch(url.startsWith('http') ? url : `${platform.edgeUrl}${url}`, { headers });
const lifecycle = async (id: string) => (await edge(`/${id}/lifecycle`)).json();

/** Real ffprobe and ffmpeg reading the URL (the edge's), as a player would. */
async function playUrl(url: string) {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', url]);
  const probe = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_type: string }[] };
  const decode = await execFileAsync('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  return {
    durationSeconds: Number(probe.format.duration),
    codecTypes: probe.streams.map((stream) => stream.codec_type).sort(),
    decodeErrors: decode.stderr.trim(),
  };
}

t.test('live input 204 / 200 and lifecycle; the recorded video plays through the edge, then is deleted', async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'replayed');
  const offline = await edge(`/${stream.id}/index.m3u8`);
  t.equal(offline.status, 204, 'the live input answers 204 No Content before anything is live');
  t.same(await lifecycle(stream.id), { isInput: true, videoUID: null, live: false });
  t.equal((await edge('/nosuchstream/index.m3u8')).status, 404, 'a name that is no stream stays 404');
  t.equal((await edge(`/${stream.id}/thumbnails/thumbnail.jpg`)).status, 204, 'the live input\'s thumbnail too');

  const publishedSeconds = 8;
  const publisher = await publishTestPattern(stream.publishUrl, publishedSeconds);
  t.teardown(() => publisher.stop());
  await waitFor('the live input to play', async () => (await edge(`/${stream.id}/index.m3u8`)).status === 200, { timeoutMs: 60_000, intervalMs: 100 });
  const live = await waitFor('the lifecycle to name the video in progress', async () => {
    const answer = (await lifecycle(stream.id)) as { videoUID: string | null };
    return answer.videoUID ? answer : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  t.match(live, { isInput: true, videoUID: /^[0-9a-f]{32}$/, live: true });
  const uid = (live as { videoUID: string }).videoUID;
  const liveThumbnail = await edge(`/${stream.id}/thumbnails/thumbnail.jpg?height=180`);
  t.equal(liveThumbnail.status, 200, 'the live input\'s thumbnail while live');
  t.match(liveThumbnail.headers.get('cache-control'), /^public, max-age=[12]$/, 'reused for a moment only');
  const liveJpeg = Buffer.from(await liveThumbnail.arrayBuffer());
  t.ok(isJpeg(liveJpeg), 'a JPEG');
  t.same(await probeJpeg(liveJpeg), { codec: 'mjpeg', width: 320, height: 180 }, 'of the newest keyframe, at the requested height');
  t.same(await lifecycle(uid), { isInput: false, videoUID: uid, live: true }, 'the video in progress, by its uid');

  t.equal(await publisher.exited, 0, 'ffmpeg published the whole pattern');
  const stoppedAt = performance.now();
  const { video, readyMs } = await readyVideo(stream, stoppedAt);
  t.equal(video.uid, uid, 'the video the lifecycle named');
  t.equal(video.playback.hls, `${platform.edgeUrl}/videos/${uid}/index.m3u8`);
  t.equal((await videosOf(stream)).length, 1, 'one video');
  t.same(await lifecycle(uid), { isInput: false, videoUID: uid, live: false });

  const played = await playUrl(video.playback.hls);
  t.equal(played.decodeErrors, '', 'ffmpeg decodes the whole video from the edge without errors');
  t.same(played.codecTypes, ['audio', 'video']);
  t.ok(Math.abs(played.durationSeconds - publishedSeconds) <= 1, `plays ${played.durationSeconds} s of the ${publishedSeconds} s published`);

  const playlist = await edge(video.playback.hls);
  t.match(playlist.headers.get('cache-control'), /immutable/, 'the VOD playlist is immutable');
  const text = await playlist.text();
  t.match(text, /#EXT-X-ENDLIST/);
  const segment = text.split('\n').find((line) => line.endsWith('.ts'))!;
  const segmentUrl = `${platform.edgeUrl}/videos/${uid}/${segment}`;
  await edge(segmentUrl);
  const again = await edge(segmentUrl);
  t.equal(again.status, 200);
  t.equal(again.headers.get('x-cache'), 'HIT', 'a second request for a segment is an edge cache hit');
  t.match(again.headers.get('cache-control'), /public, max-age=\d+, immutable/);

  await waitFor('the live input to answer 204 again once the ended stream left the edge', async () => (await edge(`/${stream.id}/index.m3u8`)).status === 204, {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  t.same(await lifecycle(stream.id), { isInput: true, videoUID: null, live: false });

  t.equal(video.thumbnail, `${platform.edgeUrl}/videos/${uid}/thumbnails/thumbnail.jpg`);
  const thumbnailStarted = performance.now();
  const thumbnail = await edge(`${video.thumbnail}?time=5s&height=270`);
  const thumbnailMs = performance.now() - thumbnailStarted;
  t.equal(thumbnail.status, 200);
  t.equal(thumbnail.headers.get('content-type'), 'image/jpeg');
  t.equal(thumbnail.headers.get('x-cache'), 'MISS');
  t.match(thumbnail.headers.get('cache-control'), /immutable/, 'a ready video\'s thumbnail never changes');
  const jpeg = Buffer.from(await thumbnail.arrayBuffer());
  t.ok(isJpeg(jpeg), 'JPEG magic bytes');
  t.same(await probeJpeg(jpeg), { codec: 'mjpeg', width: 480, height: 270 }, 'ffprobe reads the requested height, the width to the aspect ratio');
  // From the requested time: the frame a player shows at 5 s, far closer than one 4 s earlier.
  const atFive = await picturePsnr(jpeg, await frameAt(video.playback.hls, 5, 270));
  const atOne = await picturePsnr(jpeg, await frameAt(video.playback.hls, 1, 270));
  t.ok(atFive > 30 && atFive > atOne + 5, `the frame at 5 s (PSNR ${atFive.toFixed(1)} dB against the player's frame there, ${atOne.toFixed(1)} dB against 1 s)`);
  const cachedThumbnail = await edge(`${video.thumbnail}?height=271&time=5`);
  t.equal(cachedThumbnail.headers.get('x-cache'), 'HIT', 'the same picture, however spelled, is an edge cache hit');
  t.same(Buffer.from(await cachedThumbnail.arrayBuffer()), jpeg);
  const recordingFolder = path.join(platform.recordingsPath, stream.id, uid);
  t.same((await readdir(recordingFolder)).filter((name) => name.endsWith('.jpg')).length, 1, 'the origin made and kept one picture');
  const badTime = await edge(`${video.thumbnail}?time=later`);
  t.equal(badTime.status, 400);
  t.match(await badTime.json(), { error: { code: 'LIVE_ERR_THUMBNAIL_QUERY', message: /time "later"/ } });

  const bytesPerHour = (video.size / video.duration) * 3600;
  const encodedBytesPerHour = ((VIDEO_KBPS + AUDIO_KBPS) * 1000 * 3600) / 8;
  t.comment(
    `figures: ${(bytesPerHour / 1e9).toFixed(3)} GB per hour stored for ${VIDEO_KBPS + AUDIO_KBPS} kb/s encoded ` +
      `(${((bytesPerHour / encodedBytesPerHour) * 100).toFixed(0)} %); publisher stop to ready in /v1: ${readyMs.toFixed(0)} ms; ` +
      `first thumbnail through the edge: ${thumbnailMs.toFixed(0)} ms (${jpeg.length} bytes at 270 lines)`,
  );

  const deleted = await v1Request(platform.apiUrl, stream.token, 'DELETE', `/v1/videos/${uid}`);
  t.equal(deleted.status, 204);
  const gone = await waitFor('the edge to answer 404 for the deleted video', async () => {
    const answer = await edge(video.playback.hls);
    return answer.status === 404 ? answer : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  t.match(await gone.json(), { error: { code: 'LIVE_ERR_VIDEO_NOT_FOUND' } });
  t.equal((await edge(segmentUrl)).status, 404, 'its cached segments too');
  t.equal((await edge(`${video.thumbnail}?time=5s&height=270`)).status, 404, 'and its cached thumbnail');
  await waitFor('the origin to remove the files', async () => !(await readdir(path.join(platform.recordingsPath, stream.id)).catch(() => [] as string[])).includes(uid), {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  t.match(platform.logs('origin'), /removed a recording the API no longer keeps/);
});

t.test("a stream that requires signed URLs: its video needs a token for the stream", async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'signed', { require_signed_urls: true });
  const publisher = await publishTestPattern(stream.publishUrl, 4);
  t.teardown(() => publisher.stop());
  t.equal(await publisher.exited, 0);
  const { video } = await readyVideo(stream, performance.now());
  const refused = await edge(video.playback.hls);
  t.equal(refused.status, 401);
  t.match(await refused.json(), { error: { code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED' } });
  const issued = await v1Request(platform.apiUrl, stream.token, 'POST', `/v1/streams/${stream.id}/playback-token`, { expires_in_s: 600 });
  const token = issued.json.token as string;
  t.equal((await edge(video.thumbnail)).status, 401, 'its thumbnail needs the token too');
  const thumbnail = await edge(`${video.thumbnail}?token=${token}`);
  t.equal(thumbnail.status, 200);
  t.ok(isJpeg(Buffer.from(await thumbnail.arrayBuffer())), 'and is a JPEG with it');
  const played = await playUrl(`${video.playback.hls}?token=${token}`);
  t.equal(played.decodeErrors, '', 'plays with the token (carried into the segment URIs)');
  t.same(played.codecTypes, ['audio', 'video']);
});
