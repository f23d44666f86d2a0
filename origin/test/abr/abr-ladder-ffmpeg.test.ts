/**
 * ABR with a real ffmpeg (issue 13): a looping 320x180 clip is published in real time into the
 * registry with a tiny ladder; the multivariant playlist lists the source and both renditions
 * with the right attributes, every rendition's segments decode at its size (ffprobe), the same
 * media sequence number starts at the same frame in every variant, a second ABR stream past
 * ABR_MAX_STREAMS runs without ABR and says so, and a killed ffmpeg comes back while the source
 * plays on. One publish serves every assertion (transcoding is the expensive part).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import t from 'tap';
import { waitFor } from '../../../test-support/wait-for.js';
import type { AbrSettings } from '../../src/abr/abr-settings.js';
import { FallbackLoop } from '../../src/fallback/fallback-loop.js';
import { FallbackPlayer } from '../../src/fallback/fallback-player.js';
import type { IncomingPublish } from '../../src/ingest/flv-tag-source.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { oneSecondRegistry } from '../packaging/fixtures/one-second-registry.js';

const STREAM = 'abr12345';
const FPS = 15;
const FRAME_MS = 1000 / FPS;
const LADDER = [
  { height: 120, bitrate_bps: 150_000 },
  { height: 90, bitrate_bps: 100_000 },
  // Taller than the source: skipped, never upscaled.
  { height: 360, bitrate_bps: 600_000 },
];
const SETTINGS: AbrSettings = { maxStreams: 1, ffmpegPath: 'ffmpeg', preset: 'veryfast', maxBacklogBytes: 8 * 1024 * 1024, maxLagMs: 20_000, restartMaxMs: 2000 };

function fakePublish(id: string): IncomingPublish {
  return { id, app: 'stream', requestedName: 'key', remoteAddress: '127.0.0.1', setSink: () => undefined, onClose: () => undefined, disconnect: () => undefined };
}

/** 4 s of 320x180 at 15 fps with B-frames and a keyframe each second, and AAC audio. */
function encodeClip(dir: string): string {
  const file = join(dir, 'clip.flv');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', `${FPS}`, '-keyint_min', `${FPS}`, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '48k', '-f', 'flv', file,
  ]);
  return file;
}

function probe(file: string, entries: string): string {
  const result = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...entries.split(' '), '-of', 'csv=p=0', file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffprobe ${file}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The first video frame's presentation time in ms (our muxer writes every variant's timestamps alike). */
function firstPtsMs(file: string): number {
  return Number.parseFloat(probe(file, '-show_entries packet=pts_time -read_intervals %+#1')) * 1000;
}

function ffmpegChildren(): number[] {
  const result = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}

t.test('a stream with ABR on becomes a ladder aligned with its source', async (t) => {
  const { registry, hlsPath } = oneSecondRegistry(t, { abr: { settings: SETTINGS } });
  const folder = join(hlsPath, STREAM);
  const clip = [...readFlvTags(new Uint8Array(await readFile(encodeClip(t.testdir()))))];

  const opened = registry.open({ streamName: STREAM, keyGeneration: 1, abr: { enabled: true, ladder: LADDER } }, fakePublish('s1'));
  if ('refused' in opened) throw new Error(opened.refused);
  const player = new FallbackPlayer({ loop: new FallbackLoop(clip), sink: opened.sink, onError: (error) => t.fail(String(error)) });
  player.start();
  t.teardown(() => player.stop());

  // A second ABR stream while the only slot is taken runs without ABR, and says so.
  const second = registry.open({ streamName: 'other123', keyGeneration: 1, abr: { enabled: true, ladder: LADDER } }, fakePublish('s2'));
  if ('refused' in second) throw new Error(second.refused);
  t.match(registry.publishes().find((publish) => publish.stream === 'other123')?.abr, { state: 'over-limit' }, 'past ABR_MAX_STREAMS: no ABR, said so');
  second.end();

  const text = await waitFor('the multivariant playlist', async () => {
    const master = await readFile(join(folder, 'index.m3u8'), 'utf8');
    return master.includes('120p.m3u8') && master.includes('90p.m3u8') ? master : undefined;
  });
  const master = HLS.parse(text) as HLS.types.MasterPlaylist;
  t.ok(master.isMasterPlaylist, 'index.m3u8 is a multivariant playlist');
  t.same(master.variants.map((variant) => variant.uri), ['source.m3u8', '120p.m3u8', '90p.m3u8'], 'the source first, then the renditions tallest first; 360p skipped');
  t.same(master.variants.map((variant) => variant.resolution), [{ width: 320, height: 180 }, { width: 214, height: 120 }, { width: 160, height: 90 }]);
  for (const variant of master.variants) {
    t.ok(variant.bandwidth > 0 && variant.averageBandwidth! > 0 && variant.averageBandwidth! <= variant.bandwidth, `${variant.uri}: BANDWIDTH and AVERAGE-BANDWIDTH`);
    t.match(variant.codecs, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/, `${variant.uri}: CODECS`);
    t.equal(variant.frameRate, FPS, `${variant.uri}: FRAME-RATE`);
  }
  t.ok(master.variants[2]!.bandwidth < master.variants[0]!.bandwidth, 'the lowest rendition needs less than the source');

  const mediaPlaylist = async (name: string) => HLS.parse(await readFile(join(folder, `${name}.m3u8`), 'utf8')) as HLS.types.MediaPlaylist;
  const numbered = (playlist: HLS.types.MediaPlaylist) => new Map(playlist.segments.map((segment) => [segment.mediaSequenceNumber, segment]));

  // Same media sequence number, same first frame, in every variant; each rendition at its size.
  await waitFor('three segments in each rendition', async () => (await mediaPlaylist('90p')).segments.length >= 3 && (await mediaPlaylist('120p')).segments.length >= 3);
  const source = numbered(await mediaPlaylist('source'));
  for (const [name, width, height] of [['120p', 214, 120], ['90p', 160, 90]] as const) {
    const rendition = numbered(await mediaPlaylist(name));
    let compared = 0;
    for (const [sequence, { uri }] of rendition) {
      const sourceSegment = source.get(sequence);
      if (!sourceSegment) continue;
      const sourceUri = sourceSegment.uri;
      const file = join(folder, uri);
      // -count_frames decodes every frame, not just the headers.
      const [decodedWidth, decodedHeight, frames] = probe(file, '-count_frames -show_entries stream=width,height,nb_read_frames').split('\n')[0]!.split(',');
      t.equal(`${decodedWidth}x${decodedHeight}`, `${width}x${height}`, `${uri} decodes at ${width}x${height}`);
      t.ok(Number(frames) >= FPS / 2, `${uri}: ${frames} frames decoded`);
      t.ok(Math.abs(firstPtsMs(file) - firstPtsMs(join(folder, sourceUri))) < FRAME_MS, `${uri} starts within a frame of ${sourceUri}`);
      compared += 1;
    }
    t.ok(compared >= 2, `${name}: ${compared} segments compared with the source's`);
  }

  // ffmpeg killed: the source goes on, the ladder comes back and numbers on.
  const [pid] = ffmpegChildren();
  t.ok(pid, 'one ffmpeg runs the ladder');
  const before = Math.max(...(await mediaPlaylist('source')).segments.map((segment) => segment.mediaSequenceNumber));
  process.kill(pid!, 'SIGKILL');
  await waitFor('the source to go on', async () => Math.max(...(await mediaPlaylist('source')).segments.map((s) => s.mediaSequenceNumber)) >= before + 2);
  await waitFor('the ladder to come back', async () => {
    const renditions = [await mediaPlaylist('120p'), await mediaPlaylist('90p')];
    return renditions.every((playlist) => playlist.segments.some((segment) => segment.mediaSequenceNumber > before + 1));
  });
  const status = registry.publishes().find((publish) => publish.stream === STREAM)?.abr;
  t.match(status, { state: 'running', restarts: 1, renditions: ['120p', '90p'] }, 'the restart is visible in the stream status');
  t.match(status && 'lastStop' in status ? status.lastStop : '', /SIGKILL/, 'and why the ladder stopped');
  t.not(ffmpegChildren()[0], pid, 'a new ffmpeg');

  // The end: ENDLIST everywhere, ffmpeg gone.
  player.stop();
  opened.end();
  await registry.closeAll();
  for (const name of ['source', '120p', '90p']) t.ok((await mediaPlaylist(name)).endlist, `${name}.m3u8 ends`);
  await waitFor('ffmpeg to exit', () => ffmpegChildren().length === 0);
});
