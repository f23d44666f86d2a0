/**
 * Issue 13 end to end: a managed stream with ABR on, published with real ffmpeg, plays through
 * the edge as a multivariant playlist (the source and two renditions, right attributes); each
 * rendition's segments, fetched through the edge, decode at its size; the same media sequence
 * number starts at the same frame in every variant; lifecycle shows the ladder; killing the
 * origin's ffmpeg leaves the source playing and the ladder comes back. One publish serves every
 * assertion; the picture is tiny (320x180 at 15 fps, renditions 120p and 90p) because the
 * transcoding shares this machine with the rest of the suite.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import t from 'tap';
import { waitFor } from '../test-support/wait-for.js';
import { ABR_TEST_FPS, ABR_TEST_LADDER, checkVariantAttributes, publishAbrTestPattern } from './abr-publisher.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { newStream } from './recorded-stream.js';
import { v1Request } from './v1-request.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_abr_ladder_token_0123456';
const FPS = ABR_TEST_FPS;
let platform: Platform;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500', HLS_SEGMENT_SECONDS: '1' });
});
t.teardown(() => platform?.stop());

const edgeText = async (url: string) => {
  const answer = await fetch(`${platform.edgeUrl}${url}`);
  if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
  return answer.text();
};
const mediaPlaylist = async (id: string, name: string) => HLS.parse(await edgeText(`/${id}/${name}`)) as HLS.types.MediaPlaylist;
const newestSequence = (playlist: HLS.types.MediaPlaylist) => Math.max(...playlist.segments.map((segment) => segment.mediaSequenceNumber));

async function probe(url: string, entries: string[]): Promise<string> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...entries, '-of', 'csv=p=0', url]);
  return stdout.trim().split('\n')[0]!;
}

function originFfmpeg(): number[] {
  const result = spawnSync('pgrep', ['-P', String(platform.pid('origin')), '-x', 'ffmpeg'], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}

t.test('an ABR stream plays through the edge as a ladder aligned with its source, and survives its ffmpeg', async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'ladder', { abr: { enabled: true, ladder: ABR_TEST_LADDER }, recording: { mode: 'off' } });
  const publisher = await publishAbrTestPattern(stream.publishUrl);
  t.teardown(() => publisher.stop());

  const master = await waitFor(
    'the multivariant playlist through the edge',
    async () => {
      const text = await edgeText(`/${stream.id}/index.m3u8`);
      return text.includes('120p.m3u8') && text.includes('90p.m3u8') ? (HLS.parse(text) as HLS.types.MasterPlaylist) : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  t.same(master.variants.map((variant) => [variant.uri, variant.resolution]), [
    ['source.m3u8', { width: 320, height: 180 }],
    ['120p.m3u8', { width: 214, height: 120 }],
    ['90p.m3u8', { width: 160, height: 90 }],
  ]);
  checkVariantAttributes(t, master.variants);

  // The newest number every variant lists: decoded through the edge, same first frame everywhere.
  const sequence = await waitFor('a segment number in every variant', async () => {
    const playlists = await Promise.all(['source.m3u8', '120p.m3u8', '90p.m3u8'].map((name) => mediaPlaylist(stream.id, name)));
    const common = Math.min(...playlists.map(newestSequence));
    return playlists.every((playlist) => playlist.segments.some((segment) => segment.mediaSequenceNumber === common)) ? common : undefined;
  });
  const firstPts: number[] = [];
  for (const [name, size] of [['source', '320x180'], ['120p', '214x120'], ['90p', '160x90']] as const) {
    const segment = (await mediaPlaylist(stream.id, `${name}.m3u8`)).segments.find((one) => one.mediaSequenceNumber === sequence)!;
    const url = `${platform.edgeUrl}/${stream.id}/${segment.uri}`;
    const [width, height, frames] = (await probe(url, ['-count_frames', '-show_entries', 'stream=width,height,nb_read_frames'])).split(',');
    t.equal(`${width}x${height}`, size, `${segment.uri} decodes at ${size} through the edge`);
    t.ok(Number(frames) >= FPS / 2, `${segment.uri}: ${frames} frames`);
    firstPts.push(Number.parseFloat(await probe(url, ['-show_entries', 'packet=pts_time', '-read_intervals', '%+#1'])) * 1000);
  }
  t.ok(Math.max(...firstPts) - Math.min(...firstPts) < 1000 / FPS, `segment ${sequence} starts at the same frame in every variant: ${firstPts.join(', ')} ms`);

  const lifecycle = async () => (await v1Request(platform.apiUrl, stream.token, 'GET', `/v1/streams/${stream.id}/lifecycle`)).json;
  const running = await waitFor('lifecycle to show the ladder running', async () => ((await lifecycle()).ingest?.abr?.state === 'running' ? (await lifecycle()).ingest.abr : undefined));
  t.same(running, { state: 'running', renditions: ['120p', '90p'], restarts: 0 });

  // ffmpeg killed: the source plays on through the edge, the ladder comes back.
  const [pid] = originFfmpeg();
  t.ok(pid, "the origin's ffmpeg");
  const killedAt = newestSequence(await mediaPlaylist(stream.id, 'source.m3u8'));
  process.kill(pid!, 'SIGKILL');
  await waitFor('the source to go on', async () => newestSequence(await mediaPlaylist(stream.id, 'source.m3u8')) >= killedAt + 2, { timeoutMs: 60_000 });
  await waitFor(
    'the renditions to come back',
    async () => (await Promise.all(['120p.m3u8', '90p.m3u8'].map((name) => mediaPlaylist(stream.id, name)))).every((playlist) => newestSequence(playlist) > killedAt + 1),
    { timeoutMs: 60_000 },
  );
  const restarted = await waitFor('lifecycle to count the restart', async () => {
    const abr = (await lifecycle()).ingest?.abr;
    return abr?.restarts === 1 && abr.state === 'running' ? abr : undefined;
  });
  t.match(restarted.last_stop, /SIGKILL/, `lifecycle says why: ${restarted.last_stop}`);
  t.not(originFfmpeg()[0], pid, 'a new ffmpeg');
  await publisher.stop();
});
