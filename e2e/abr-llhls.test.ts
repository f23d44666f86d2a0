/**
 * Issue 13, ABR in CMAF: a managed stream with ABR on and LL-HLS on, published with real ffmpeg.
 * Through the edge, `ll.m3u8` is the multivariant playlist over the source's and each rendition's
 * LL media playlist (right attributes); a rendition's LL playlist has parts and a preload hint and
 * answers a blocking reload for its hinted part; a rendition's CMAF segment (init + parts) decodes
 * at its size; the same media sequence number starts at the same frame in every variant. Its
 * `index.mpd` lists every rendition as a Representation of the one video AdaptationSet, which
 * ffprobe reads, and a rendition's DASH segment decodes at its size. Segments are dated
 * (EXT-X-PROGRAM-DATE-TIME) as the source's. Tiny
 * picture (320x180 at 15 fps, renditions 120p and 90p) because the transcoding shares this
 * machine with the rest of the suite. Outcomes only, no timing assertions.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import t from 'tap';
import { waitFor } from '../test-support/wait-for.js';
import { ABR_TEST_FPS, ABR_TEST_LADDER, checkVariantAttributes, publishAbrTestPattern } from './abr-publisher.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { newStream } from './recorded-stream.js';

const execFileAsync = promisify(execFile);
const ADMIN_TOKEN = 'adm_e2e_abr_cmaf_ladder_token_01';
const FPS = ABR_TEST_FPS;
const VARIANTS = [
  ['source', '320x180'],
  ['120p', '214x120'],
  ['90p', '160x90'],
] as const;
let platform: Platform;
let folder: string;

t.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'abr-llhls-'));
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', INGEST_HEARTBEAT_MS: '500', HLS_SEGMENT_SECONDS: '1', HLS_LOW_LATENCY: 'on' });
});
t.teardown(async () => {
  await platform?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function edgeGet(url: string): Promise<Buffer> {
  const answer = await fetch(`${platform.edgeUrl}${url}`);
  if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${await answer.text()}`);
  return Buffer.from(await answer.arrayBuffer());
}
const edgeText = async (url: string) => (await edgeGet(url)).toString();
const mediaPlaylist = async (id: string, name: string) => HLS.parse(await edgeText(`/${id}/${name}`)) as HLS.types.MediaPlaylist;
const newestSequence = (playlist: HLS.types.MediaPlaylist) => Math.max(...playlist.segments.filter((segment) => segment.duration > 0).map((segment) => segment.mediaSequenceNumber));

/** Init + the segment's parts, fetched one by one through the edge, as one file ffprobe reads. */
async function segmentFile(id: string, variant: string, segment: HLS.types.Segment): Promise<string> {
  if (!segment.map || !segment.parts?.length) throw new Error(`${variant}-ll.m3u8 lists no parts of segment ${segment.mediaSequenceNumber}`);
  const parts = await Promise.all(segment.parts.map((part) => edgeGet(`/${id}/${part.uri}`)));
  const whole = await edgeGet(`/${id}/${segment.uri}`);
  if (!Buffer.concat(parts).equals(whole)) throw new Error(`${segment.uri} is not its parts back to back`);
  const file = join(folder, `${variant}-${segment.mediaSequenceNumber}.mp4`);
  await writeFile(file, Buffer.concat([await edgeGet(`/${id}/${segment.map.uri}`), ...parts]));
  return file;
}

async function probe(file: string, entries: string[]): Promise<string> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...entries, '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n')[0]!;
}

t.test("an ABR stream's LL-HLS: a multivariant ll.m3u8 over every variant's LL playlist, aligned, blocking through the edge", async (t) => {
  const stream = await newStream(platform, ADMIN_TOKEN, 'cmaf-ladder', { abr: { enabled: true, ladder: ABR_TEST_LADDER }, recording: { mode: 'off' } });
  const publisher = await publishAbrTestPattern(stream.publishUrl);
  t.teardown(() => publisher.stop());

  const master = await waitFor(
    'the LL multivariant playlist through the edge',
    async () => {
      const text = await edgeText(`/${stream.id}/ll.m3u8`).catch(() => '');
      return text.includes('120p-ll.m3u8') && text.includes('90p-ll.m3u8') ? (HLS.parse(text) as HLS.types.MasterPlaylist) : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  t.ok(master.isMasterPlaylist, 'll.m3u8 is a multivariant playlist');
  t.same(
    master.variants.map((variant) => [variant.uri, variant.resolution]),
    VARIANTS.map(([name, size]) => {
      const [width, height] = size.split('x').map(Number);
      return [`${name}-ll.m3u8`, { width, height }];
    }),
  );
  checkVariantAttributes(t, master.variants);

  // Each rendition's LL playlist: parts, a hint, blocking reload, its own names; held by the edge until the hinted part exists.
  for (const [name] of VARIANTS.slice(1)) {
    const text = await edgeText(`/${stream.id}/${name}-ll.m3u8`);
    t.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES/, `${name}-ll.m3u8 can block`);
    t.match(text, new RegExp(`#EXT-X-MAP:URI="${name}-init-\\d+\\.mp4"`), `${name}-ll.m3u8 has its init`);
    t.match(text, new RegExp(`#EXT-X-PART:DURATION=[0-9.]+,URI="${name}-\\d+\\.\\d+\\.m4s"`), `${name}-ll.m3u8 has parts`);
    const hint = new RegExp(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${name}-(\\d+)\\.(\\d+)\\.m4s"`).exec(text);
    t.ok(hint, `${name}-ll.m3u8 hints its next part`);
    const [msn, part] = [Number(hint![1]), Number(hint![2])];
    const blocked = await fetch(`${platform.edgeUrl}/${stream.id}/${name}-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`);
    t.equal(blocked.status, 200, `${name}-ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part} answered`);
    const answered = await blocked.text();
    t.match(answered, new RegExp(`URI="${name}-${msn}\\.${part}\\.m4s"`), 'once it lists the part that was only hinted');
    const next = new RegExp(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(${name}-\\d+\\.\\d+\\.m4s)"`).exec(answered)?.[1];
    const hinted = await fetch(`${platform.edgeUrl}/${stream.id}/${next}`);
    t.equal(hinted.status, 200, 'the edge fetches a part asked for before it exists');
    t.equal(hinted.headers.get('content-type'), 'video/iso.segment');
  }

  // The newest number every variant lists whole, with its parts (only the newest segments list them): decoded through the edge, same first frame everywhere.
  const { sequence, files } = await waitFor('a whole LL segment number with parts in every variant', async () => {
    const playlists = await Promise.all(VARIANTS.map(([name]) => mediaPlaylist(stream.id, `${name}-ll.m3u8`)));
    const common = Math.min(...playlists.map(newestSequence));
    const found = playlists.map((playlist) => playlist.segments.find((segment) => segment.mediaSequenceNumber === common && segment.duration > 0 && segment.parts?.length));
    if (!found.every((segment) => segment !== undefined)) return undefined;
    t.ok(found[0]!.programDateTime, `segment ${common} is dated`);
    t.same(found.map((segment) => segment!.programDateTime?.toISOString()), VARIANTS.map(() => found[0]!.programDateTime?.toISOString()), `segment ${common} has the same EXT-X-PROGRAM-DATE-TIME in every variant`);
    // Fetched at once: its parts stay downloadable a while after the playlist stops listing them.
    return { sequence: common, files: await Promise.all(VARIANTS.map(([name], i) => segmentFile(stream.id, name, found[i]!))) };
  }, { timeoutMs: 60_000 });
  const firstPts: number[] = [];
  for (const [index, [name, size]] of VARIANTS.entries()) {
    const file = files[index]!;
    const [width, height, frames] = (await probe(file, ['-count_frames', '-show_entries', 'stream=width,height,nb_read_frames'])).split(',');
    t.equal(`${width}x${height}`, size, `${name}'s segment ${sequence} (init + parts) decodes at ${size} through the edge`);
    t.ok(Number(frames) >= FPS / 2, `${name}: ${frames} frames`);
    firstPts.push(Number.parseFloat(await probe(file, ['-show_entries', 'packet=pts_time', '-read_intervals', '%+#1'])) * 1000);
  }
  t.ok(Math.max(...firstPts) - Math.min(...firstPts) < 1000 / FPS, `LL segment ${sequence} starts at the same frame in every variant: ${firstPts.join(', ')} ms`);

  // DASH: every rendition is a Representation of the one video AdaptationSet, and ffprobe reads them all.
  const manifest = await waitFor('index.mpd with every rendition through the edge', async () => {
    const text = await edgeText(`/${stream.id}/index.mpd`).catch(() => '');
    return text.includes('id="120p"') && text.includes('id="90p"') ? text : undefined;
  }, { timeoutMs: 60_000 });
  const video = /<AdaptationSet[^>]*contentType="video"[^>]*>([\s\S]*?)<\/AdaptationSet>/.exec(manifest)?.[1] ?? '';
  t.equal([...manifest.matchAll(/<AdaptationSet /g)].length, 2, 'one video and one audio AdaptationSet');
  const representations = [...video.matchAll(/<Representation id="([^"]+)" codecs="(avc1\.[0-9a-f]{6})" bandwidth="(\d+)" width="(\d+)" height="(\d+)"/g)];
  t.same(representations.map((match) => `${match[1]} ${match[4]}x${match[5]}`), ['video 320x180', '120p 214x120', '90p 160x90'], 'the source and each rendition, tallest first');
  t.ok(representations.every((match) => Number(match[3]) > 0), 'each with its bandwidth');
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height', '-of', 'csv=p=0', `${platform.edgeUrl}/${stream.id}/index.mpd`], { timeout: 120_000 });
  // Each stream once (ffprobe also lists them again under the manifest's program).
  t.same([...new Set(stdout.trim().split('\n').filter((line) => line.startsWith('video')))].sort(), ['video,160,90', 'video,214,120', 'video,320,180'], 'ffprobe finds every Representation in the edge\'s index.mpd');
  const template = /<Representation id="90p"[\s\S]*?startNumber="(\d+)" initialization="([^"]+)" media="([^"]+)"/.exec(video);
  t.ok(template, "the 90p Representation's template");
  const [, startNumber, initialization, media] = template!;
  t.match(initialization, /^90p-v-init-\d+\.mp4$/, 'its own init');
  const dashFile = join(folder, '90p-dash.mp4');
  await writeFile(dashFile, Buffer.concat([await edgeGet(`/${stream.id}/${initialization}`), await edgeGet(`/${stream.id}/${media!.replace('$Number$', startNumber!)}`)]));
  t.equal((await probe(dashFile, ['-show_entries', 'stream=width,height'])).replace(',', 'x'), '160x90', "a 90p DASH segment decodes at its size");
  await publisher.stop();
});
