/**
 * Issue 12's recording on the origin, end to end: a managed stream published with real ffmpeg is
 * kept as a video under RECORDINGS_PATH, closed (VOD, ENDLIST) when the publisher leaves, and
 * plays in real ffprobe/ffmpeg; an origin killed mid-recording closes it at its next start.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { sumOf } from '../test-support/prometheus-text.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { AUDIO_KBPS, newStream as newStream_, publishTestPattern, VIDEO_KBPS } from './recorded-stream.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_recording_token_0123';
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500' });
});
t.teardown(() => platform?.stop());

const newStream = (name: string, recording?: object) => newStream_(platform, ADMIN_TOKEN, name, recording ? { recording } : {});

/** The stream's recording folders (one per video). */
async function videoFolders(stream: string): Promise<string[]> {
  const folder = path.join(platform.recordingsPath, stream);
  const uids = await readdir(folder).catch(() => [] as string[]);
  return uids.map((uid) => path.join(folder, uid));
}

const playlistOf = (folder: string) => readFile(path.join(folder, 'index.m3u8'), 'utf8').catch(() => '');
const infoOf = async (folder: string) => JSON.parse(await readFile(path.join(folder, 'recording.json'), 'utf8'));

/** Real ffprobe's view of the recording, and real ffmpeg decoding all of it. */
async function playRecording(folder: string) {
  const playlist = path.join(folder, 'index.m3u8');
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json', playlist]);
  const probe = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_type: string; width?: number; height?: number }[] };
  const decode = await execFileAsync('ffmpeg', ['-v', 'error', '-i', playlist, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  return {
    durationSeconds: Number(probe.format.duration),
    codecTypes: probe.streams.map((stream) => stream.codec_type).sort(),
    video: probe.streams.find((stream) => stream.codec_type === 'video'),
    decodeErrors: decode.stderr.trim(),
  };
}

/**
 * Each segment decoded on its own: across EXT-X-DISCONTINUITY timestamps restart (each session's
 * encoder starts at 0, as in the live playlist), which players that honour the tag (hls.js,
 * AVPlayer) follow but ffmpeg's HLS demuxer reports as non-monotonic DTS.
 */
async function decodeEachSegment(folder: string): Promise<string> {
  const playlist = await playlistOf(folder);
  let errors = '';
  for (const segment of playlist.split('\n').filter((line) => line.endsWith('.ts'))) {
    const decode = await execFileAsync('ffmpeg', ['-v', 'error', '-i', path.join(folder, segment), '-f', 'null', '-']);
    errors += decode.stderr;
  }
  return errors.trim();
}

t.test('a published session becomes a closed VOD recording that plays for as long as it was published', async (t) => {
  const stream = await newStream('recorded');
  const publishedSeconds = 8;
  const publisher = await publishTestPattern(stream.publishUrl, publishedSeconds);
  t.teardown(() => publisher.stop());

  const [folder] = await waitFor('the recording to start', async () => {
    const folders = await videoFolders(stream.id);
    return folders.length > 0 && (await playlistOf(folders[0]!)).includes('#EXT-X-PLAYLIST-TYPE:EVENT') ? folders : undefined;
  }, { timeoutMs: 60_000 });
  t.match(path.basename(folder!), /^[0-9a-f]{32}$/, 'the video uid: 32 hex characters');
  t.notMatch(await playlistOf(folder!), /ENDLIST/, 'no ENDLIST while live');
  t.same((await infoOf(folder!)).ended, null);

  t.equal(await publisher.exited, 0, 'ffmpeg published the whole pattern');
  const endedAt = performance.now();
  await waitFor('the recording to be closed', async () => (await playlistOf(folder!)).endsWith('#EXT-X-ENDLIST\n'), { timeoutMs: 60_000, intervalMs: 50 });
  const closeMs = performance.now() - endedAt;

  const playlist = await playlistOf(folder!);
  t.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
  t.notMatch(playlist, /DISCONTINUITY/, 'one session, no discontinuity');
  const played = await playRecording(folder!);
  t.equal(played.decodeErrors, '', 'ffmpeg decodes every segment without errors');
  t.same(played.codecTypes, ['audio', 'video'], 'video and audio');
  t.match(played.video, { width: 640, height: 360 });
  t.ok(Math.abs(played.durationSeconds - publishedSeconds) <= 1, `duration ${played.durationSeconds} s for ${publishedSeconds} s published`);

  const info = await infoOf(folder!);
  t.match(info, { uid: path.basename(folder!), stream: stream.id, width: 640, height: 360, ended: String });
  t.ok(Math.abs(info.duration_s - played.durationSeconds) <= 0.5, `recording.json says ${info.duration_s} s`);
  const segments = (await readdir(folder!)).filter((name) => name.endsWith('.ts'));
  let bytes = 0;
  for (const segment of segments) bytes += (await stat(path.join(folder!, segment))).size;
  t.equal(info.size_bytes, bytes, 'recording.json counts the bytes of its segments');
  const metrics = await (await fetch(`${platform.originUrl}/metrics`)).text();
  t.ok(sumOf(metrics, 'origin_recorded_bytes_total') >= bytes, 'the origin counts the recorded bytes');
  t.equal(sumOf(metrics, 'origin_recording_failures_total'), 0, 'no recording work failed');
  const recordedKbps = (bytes * 8) / 1000 / info.duration_s;
  t.comment(
    `figures: ${Math.round(bytes / info.duration_s)} bytes/s recorded = ${recordedKbps.toFixed(0)} kb/s for ` +
      `${VIDEO_KBPS + AUDIO_KBPS} kb/s encoded (${((recordedKbps / (VIDEO_KBPS + AUDIO_KBPS)) * 100).toFixed(0)} %, MPEG-TS overhead included); ` +
      `stream end to ENDLIST ${closeMs.toFixed(0)} ms`,
  );
});

t.test('a publisher back within timeoutSeconds continues the video after a discontinuity; after it, a new video', async (t) => {
  const stream = await newStream('reconnecting', { mode: 'automatic', timeoutSeconds: 20 });
  const publishFor = async (seconds: number) => {
    const publisher = await publishTestPattern(stream.publishUrl, seconds);
    t.teardown(() => publisher.stop());
    t.equal(await publisher.exited, 0, `ffmpeg published ${seconds} s`);
  };
  await publishFor(4);
  await publishFor(4);
  const [folder] = await videoFolders(stream.id);
  await waitFor('the video to close once the timeout ran out', async () => (await playlistOf(folder!)).endsWith('#EXT-X-ENDLIST\n'), { timeoutMs: 120_000 });
  t.equal((await videoFolders(stream.id)).length, 1, 'both sessions in one video');
  t.equal((await playlistOf(folder!)).match(/#EXT-X-DISCONTINUITY/g)?.length, 1, 'a discontinuity where the publisher came back');
  const played = await playRecording(folder!);
  t.equal(await decodeEachSegment(folder!), '', 'ffmpeg decodes every segment of both sessions');
  t.same(played.codecTypes, ['audio', 'video']);
  t.ok(Math.abs(played.durationSeconds - 8) <= 1.5, `plays ${played.durationSeconds} s of the 8 s published`);

  await publishFor(4);
  const folders = await waitFor('a second video', async () => {
    const found = await videoFolders(stream.id);
    return found.length === 2 ? found : undefined;
  }, { timeoutMs: 60_000 });
  const second = folders.find((one) => one !== folder)!;
  t.notMatch(await playlistOf(second), /DISCONTINUITY/, 'the later session starts a video of its own');
});

t.test('an origin killed mid-recording closes the recording at its next start, playable up to the kill', async (t) => {
  const stream = await newStream('crashed', { mode: 'automatic', timeoutSeconds: 60 });
  const publisher = await publishTestPattern(stream.publishUrl);
  t.teardown(() => publisher.stop());
  const [folder] = await waitFor('three recorded segments', async () => {
    const folders = await videoFolders(stream.id);
    return folders.length > 0 && ((await playlistOf(folders[0]!)).match(/\.ts$/gm)?.length ?? 0) >= 3 ? folders : undefined;
  }, { timeoutMs: 90_000 });

  await platform.stopService('origin', 'SIGKILL');
  await publisher.stop();
  const atKill = await playlistOf(folder!);
  t.notMatch(atKill, /ENDLIST/, 'the kill left it open');
  const listedAtKill = atKill.match(/\.ts$/gm)!.length;

  await platform.startService('origin');
  const closed = await playlistOf(folder!);
  t.match(closed, /#EXT-X-PLAYLIST-TYPE:VOD\n/, 'VOD once the origin is back');
  t.match(closed, /#EXT-X-ENDLIST\n$/);
  t.equal(closed.match(/\.ts$/gm)!.length, listedAtKill, 'over the segments it had');
  const info = await infoOf(folder!);
  t.match(info, { stream: stream.id, ended: String });
  const played = await playRecording(folder!);
  t.equal(played.decodeErrors, '', 'every segment decodes');
  t.same(played.codecTypes, ['audio', 'video']);
  t.ok(Math.abs(played.durationSeconds - info.duration_s) <= 1, `plays ${played.durationSeconds} s, recording.json says ${info.duration_s} s`);
  t.ok(played.durationSeconds >= 4, 'up to the kill');
  t.match(platform.logs('origin'), /closed the recordings a previous run left open/);
});
