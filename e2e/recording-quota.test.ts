/**
 * Issue 12's recording limits on the whole platform, with real ffmpeg publishers: a user who
 * reaches the recording quota mid-session gets that video closed as a ready VOD (it plays) while
 * the stream stays live, and the next session goes live unrecorded with the reason on the stream;
 * RECORDING_MAX_SECONDS splits one long session into several closed videos that each play.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { newStream as newStream_, publishTestPattern } from './recorded-stream.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_recording_quota_token_0123';
/** Every recording of this platform is cut at this much media. */
const MAX_SECONDS = 6;
/** The quota test's user: about 3.5 s of the 1128 kb/s test pattern, so the quota is reached within the first video. */
const QUOTA_BYTES = 500_000;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform(
    { ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' },
    { origin: { VIDEO_REPORT_INTERVAL_SECONDS: '1', RECORDING_MAX_SECONDS: String(MAX_SECONDS) } },
  );
});
t.teardown(() => platform?.stop());

const api = (token: string, method: string, url: string, body?: object) => v1Request(platform.apiUrl, token, method, url, body);
const newStream = (name: string) => newStream_(platform, ADMIN_TOKEN, name);

interface ListedVideo {
  uid: string;
  duration: number;
  size: number;
  status: { state: string };
}
const videosOf = async (token: string, stream: string) => (await api(token, 'GET', `/v1/streams/${stream}/videos`)).json.data as ListedVideo[];
const folderOf = (stream: string, uid: string) => path.join(platform.recordingsPath, stream, uid);
const playlistOf = (folder: string) => readFile(path.join(folder, 'index.m3u8'), 'utf8').catch(() => '');
const edgeStatus = async (stream: string) => (await fetch(`${platform.edgeUrl}/${stream}/index.m3u8`)).status;

/** Real ffprobe's duration of the recording and real ffmpeg's decode errors over all of it. */
async function playRecording(folder: string) {
  const playlist = path.join(folder, 'index.m3u8');
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', playlist]);
  const decode = await execFileAsync('ffmpeg', ['-v', 'error', '-i', playlist, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  return { durationSeconds: Number((JSON.parse(stdout) as { format: { duration: string } }).format.duration), decodeErrors: decode.stderr.trim() };
}

t.test('the quota reached mid-session closes the video as a playable VOD; the stream stays live, later sessions are not recorded', async (t) => {
  const stream = await newStream('quota');
  const me = (await api(stream.token, 'GET', '/v1/me')).json;
  const patched = await api(ADMIN_TOKEN, 'PATCH', `/v1/users/${me.id}`, { storage: { quotaBytes: QUOTA_BYTES } });
  t.equal(patched.status, 200);
  t.same(patched.json.storage, { usedBytes: 0, quotaBytes: QUOTA_BYTES });

  const publisher = await publishTestPattern(stream.publishUrl, 20);
  t.teardown(() => publisher.stop());
  const [video] = await waitFor(
    'the recording to be stopped by the quota',
    async () => {
      const videos = await videosOf(stream.token, stream.id);
      return videos[0]?.status.state === 'ready' ? videos : undefined;
    },
    { timeoutMs: 60_000 },
  );
  t.equal(publisher.child.exitCode, null, 'while the publisher still sends');
  t.equal(await edgeStatus(stream.id), 200, 'the stream is live through the edge');
  const streamBody = (await api(stream.token, 'GET', `/v1/streams/${stream.id}`)).json;
  t.equal(streamBody.recordingStatus, 'quota-exceeded', 'the stream says why it is no longer recorded');
  t.ok(video!.size >= QUOTA_BYTES, `the video holds ${video!.size} bytes, at least the quota`);
  t.ok(video!.duration < 12, `it stopped early: ${video!.duration} s of the 20 s session`);
  const storage = (await api(stream.token, 'GET', '/v1/me')).json.storage;
  t.same(storage, { usedBytes: video!.size, quotaBytes: QUOTA_BYTES }, '/v1/me counts it');

  const folder = folderOf(stream.id, video!.uid);
  const playlist = await playlistOf(folder);
  t.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD\n[\s\S]*#EXT-X-ENDLIST\n$/, 'a closed VOD playlist');
  const played = await playRecording(folder);
  t.equal(played.decodeErrors, '', 'real ffmpeg decodes all of it');
  t.ok(Math.abs(played.durationSeconds - video!.duration) <= 1, `it plays ${played.durationSeconds} s`);

  t.equal(await publisher.exited, 0, 'ffmpeg published the whole session: nothing cut it');
  t.same((await videosOf(stream.token, stream.id)).map((listed) => listed.uid), [video!.uid], 'nothing more recorded of it');
  t.equal(await playlistOf(folder), playlist, 'and the closed video never changed');

  const next = await publishTestPattern(stream.publishUrl);
  t.teardown(() => next.stop());
  await waitFor('the next session to be live through the edge', async () => (await edgeStatus(stream.id)) === 200, { timeoutMs: 60_000 });
  const liveSegments = async () => (await readdir(path.join(platform.hlsPath, stream.id))).filter((name) => name.endsWith('.ts')).length;
  await waitFor('two live segments', async () => (await liveSegments()) >= 2, { timeoutMs: 60_000 });
  t.same(await readdir(path.join(platform.recordingsPath, stream.id)), [video!.uid], 'the session over quota is not recorded');
  t.equal((await api(stream.token, 'GET', `/v1/streams/${stream.id}`)).json.recordingStatus, 'quota-exceeded');
  await next.stop();

  t.equal((await api(stream.token, 'DELETE', `/v1/videos/${video!.uid}`)).status, 204);
  t.same((await api(stream.token, 'GET', '/v1/me')).json.storage, { usedBytes: 0, quotaBytes: QUOTA_BYTES }, 'a deleted video frees its bytes');
});

t.test('RECORDING_MAX_SECONDS closes a long session’s video and goes on in a new one; each plays', async (t) => {
  const stream = await newStream('capped');
  const publishedSeconds = 16;
  const publisher = await publishTestPattern(stream.publishUrl, publishedSeconds);
  t.teardown(() => publisher.stop());
  t.equal(await publisher.exited, 0, `ffmpeg published ${publishedSeconds} s`);
  const videos = await waitFor(
    'every video of the session to be ready',
    async () => {
      const listed = await videosOf(stream.token, stream.id);
      return listed.length >= 2 && listed.every((video) => video.status.state === 'ready') ? listed : undefined;
    },
    { timeoutMs: 60_000 },
  );
  t.ok(videos.length >= 2, `${videos.length} videos from one ${publishedSeconds} s session`);
  let total = 0;
  for (const video of videos.reverse()) {
    const folder = folderOf(stream.id, video.uid);
    const playlist = await playlistOf(folder);
    t.match(playlist, /#EXT-X-ENDLIST\n$/, `${video.uid} is closed`);
    t.notMatch(playlist, /DISCONTINUITY/, 'each starts clean');
    const played = await playRecording(folder);
    t.equal(played.decodeErrors, '', `${video.uid} decodes cleanly`);
    // Closed at the first segment that reaches the cap: at most one segment (2 s, a keyframe interval) past it.
    t.ok(video.duration <= MAX_SECONDS + 2.5, `${video.uid}: ${video.duration} s, within the cap and a segment`);
    total += played.durationSeconds;
  }
  t.ok(Math.abs(total - publishedSeconds) <= 1.5, `together they play ${total.toFixed(2)} s of the ${publishedSeconds} s published`);
});
