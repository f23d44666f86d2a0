/**
 * `npm run bench:abr [-- --streams 1,2 --seconds 30]` (issue 13): what an ABR stream costs with the
 * default ladder. The benchmark's 720p30 2.5 Mb/s clip is played in real time into the origin's
 * own LiveStreamRegistry (in this process, as the fallback player feeds it), with ABR on and the
 * default ladder (720p is the source itself, so 480p and 360p are transcoded) for each of N
 * streams at once. After a warm-up it measures, over the window:
 * - CPU of the ffmpeg processes (utime + stime from /proc over the window, as % of one core) per
 *   stream, and of this process (packaging the source and the renditions);
 * - rendition delay: each variant's media playlist is polled every 20 ms; for each media sequence
 *   number, the time from the source listing it to the last rendition listing it. The target is
 *   one segment duration;
 * - restarts of the ladders (a ladder that falls behind real time is restarted: not sustainable);
 * - this process's memory at the end of the window (RSS, heap, array buffers: the in-memory LL
 *   windows are array buffers).
 * `--low-latency` also packages LL-HLS (CMAF, in memory) as HLS_LOW_LATENCY=on does, with the
 * origin's default LL settings; run it with `--seconds 60` or more so the LL windows fill (24 s
 * + a segment of grace after the warm-up). `--ladder 540,360,240` sets the rung heights (default:
 * the default ladder's, at its bitrates; an own ladder's rungs get 1.2 Mb/s x height / 480).
 * The machine is shared with whatever else runs: the figures say what this run saw.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { readAbrSettings } from '../origin/src/abr/abr-settings.js';
import { FallbackLoop } from '../origin/src/fallback/fallback-loop.js';
import { FallbackPlayer } from '../origin/src/fallback/fallback-player.js';
import { HlsDirectoryWriter } from '../origin/src/hls/hls-directory-writer.js';
import type { IncomingPublish } from '../origin/src/ingest/flv-tag-source.js';
import { readFlvTags } from '../origin/src/media/flv-file-reader.js';
import { readLowLatencySettings } from '../origin/src/llhls/llhls-settings.js';
import { LiveStreamRegistry } from '../origin/src/packaging/live-stream-registry.js';
import { LowLatencyStreams } from '../origin/src/packaging/low-latency-streams.js';
import { SegmentDelayStats } from '../origin/src/packaging/segment-delay-stats.js';
import { repoRoot } from '../test-support/repo-root.js';
import { DEFAULT_ABR_LADDER } from '../internal-api/src/abr-contract.js';
import { clipDescription, ensureBenchClip } from './bench-clip.js';
import { Cleanup, log, runBench, sleep } from './bench-process.js';
import { CpuMeter } from './proc-stats.js';

const WARM_UP_MS = 15_000;
const POLL_MS = 20;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

function ffmpegChildren(): number[] {
  const result = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function newestSequence(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const sequence = /#EXT-X-MEDIA-SEQUENCE:([0-9]+)/.exec(text)?.[1];
  if (sequence === undefined) return undefined;
  return Number(sequence) + text.split('#EXTINF').length - 2;
}

function ladder(): { height: number; bitrate_bps: number }[] {
  const heights = option('ladder', '');
  if (heights === '') return [...DEFAULT_ABR_LADDER];
  return heights.split(',').map((height) => ({ height: Number(height), bitrate_bps: Math.round((1_200_000 * Number(height)) / 480) }));
}

async function round(streams: number, seconds: number, clip: string, cleanup: Cleanup): Promise<string> {
  const segments = { targetDurationSeconds: 2, maxDurationSeconds: 20, maxSegmentBytes: 64 * 1024 * 1024 };
  const lowLatencySettings = readLowLatencySettings({}, segments);
  const lowLatency = process.argv.includes('--low-latency')
    ? new LowLatencyStreams({ ...lowLatencySettings, segments, cleanupAfterEndSeconds: 1 })
    : undefined;
  const hlsPath = path.join(os.tmpdir(), `abr-bench-${process.pid}-${streams}`);
  cleanup.add('remove the HLS folder', () => rm(hlsPath, { recursive: true, force: true }));
  const hls = new HlsDirectoryWriter({ hlsPath, targetDurationSeconds: 2, onBackgroundError: (error) => log(`background: ${error.message}`) });
  const registry = new LiveStreamRegistry({
    hls,
    segments,
    ...(lowLatency ? { lowLatency } : {}),
    logger: pino({ level: 'silent' }),
    delays: new SegmentDelayStats(),
    abr: { settings: { ...readAbrSettings(process.env), maxStreams: streams } },
  });
  const tags = [...readFlvTags(new Uint8Array(await readFile(clip)))];
  const players: FallbackPlayer[] = [];
  const names = Array.from({ length: streams }, (_unused, index) => `abrbench${index}`);
  for (const name of names) {
    const publish: IncomingPublish = { id: name, app: 'stream', requestedName: name, remoteAddress: '127.0.0.1', setSink: () => undefined, onClose: () => undefined, disconnect: () => undefined };
    const opened = registry.open({ streamName: name, keyGeneration: 0, abr: { enabled: true, ladder: ladder() } }, publish);
    if ('refused' in opened) throw new Error(opened.refused);
    const player = new FallbackPlayer({ loop: new FallbackLoop(tags), sink: opened.sink, onError: (error) => log(`player: ${String(error)}`) });
    player.start();
    players.push(player);
  }
  log(`${streams} stream(s): warming up ${WARM_UP_MS / 1000} s`);
  await sleep(WARM_UP_MS);

  const renditions = registry.publishes()[0]?.abr?.renditions ?? [];
  const variants = ['source', ...renditions];
  const seen = new Map<string, number>();
  const ffmpeg = new CpuMeter(ffmpegChildren);
  const self = new CpuMeter(() => [process.pid]);
  ffmpeg.start();
  self.start();
  const started = performance.now();
  const restartsBefore = registry.publishes().reduce((sum, publish) => sum + (publish.abr?.restarts ?? 0), 0);
  while (performance.now() - started < seconds * 1000) {
    for (const name of names) {
      for (const variant of variants) {
        const sequence = await newestSequence(path.join(hlsPath, name, `${variant}.m3u8`));
        const key = `${name} ${variant} ${sequence}`;
        if (sequence !== undefined && !seen.has(key)) seen.set(key, performance.now());
      }
    }
    ffmpeg.sample();
    await sleep(POLL_MS);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const ffmpegCpu = ffmpeg.stop().total;
  const selfCpu = self.stop().total;
  const restarts = registry.publishes().reduce((sum, publish) => sum + (publish.abr?.restarts ?? 0), 0) - restartsBefore;
  const memory = process.memoryUsage();
  const delays: number[] = [];
  for (const [key, at] of seen) {
    const [name, variant, sequence] = key.split(' ');
    if (variant !== 'source') continue;
    const listed = renditions.map((rendition) => seen.get(`${name} ${rendition} ${sequence}`));
    if (listed.every((time) => time !== undefined)) delays.push(Math.max(...(listed as number[])) - at);
  }
  for (const player of players) player.stop();
  await registry.closeAll();
  await hls.close();
  lowLatency?.close();
  const pct = (cpuSeconds: number) => `${((cpuSeconds / wallSeconds) * 100).toFixed(0)} %`;
  return [
    `streams ${streams}, renditions ${renditions.join(' ')} (+ source), window ${wallSeconds.toFixed(0)} s`,
    `  ffmpeg CPU: ${pct(ffmpegCpu)} of one core in all, ${pct(ffmpegCpu / streams)} per stream; this process (packaging): ${pct(selfCpu)}`,
    `  rendition delay after the source (${delays.length} segments): p50 ${percentile(delays, 50).toFixed(0)} ms, p95 ${percentile(delays, 95).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (target: one segment, 2000 ms)`,
    `  ladder restarts in the window: ${restarts}`,
    `  memory at the end (LL-HLS ${lowLatency ? 'on' : 'off'}): RSS ${mb(memory.rss)}, heap ${mb(memory.heapUsed)}, array buffers ${mb(memory.arrayBuffers)}`,
  ].join('\n');
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

const cleanup = new Cleanup();
runBench(async () => {
  const streams = option('streams', '1').split(',').map(Number);
  const seconds = Number(option('seconds', '30'));
  const clip = await ensureBenchClip(path.join(repoRoot, '.run', 'bench'), log);
  log(`clip: ${clipDescription()}; machine: ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  for (const count of streams) process.stdout.write(`${await round(count, seconds, clip, cleanup)}\n`);
  return 0;
}, cleanup);
