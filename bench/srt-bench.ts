/**
 * `npm run bench:srt -- [--streams N] [--seconds S]`: what an SRT publisher costs our origin
 * against an RTMP one, in one run on one origin: N real ffmpeg publishers of the 720p30 2.5 Mb/s
 * bench clip (`-re -stream_loop -1 -c copy`) over RTMP, then N over SRT (MPEG-TS, latency
 * SRT_LATENCY_MS), each protocol on streams of its own made through the API (SRT takes only
 * managed keys).
 *
 * - CPU: the origin process's utime + stime over the window (/proc), minus the idle origin's rate
 *   measured before any publisher, per stream, as % of one core.
 * - Memory: the origin's peak VmRSS during the window minus its VmRSS just before that protocol's
 *   publishers started, per stream.
 * - Glass-to-playlist: for each segment, the time the playlist naming it was renamed into place
 *   (inotify) minus the time its last frame was due from the publisher: publisher start + the
 *   segment's end in media time (cumulative EXTINF), as `-re` paces. It includes ffmpeg's start-up
 *   (the same for both protocols) and SRT's transport (we deliver as soon as packets are in
 *   order, not at TSBPD time). Segments of the first warm-up seconds are left out.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import { repoRoot } from '../test-support/repo-root.js';
import { sendOverSrt } from '../test-support/srt-caller.js';
import { clipDescription, ensureBenchClip } from './bench-clip.js';
import { flagValues, seconds } from './bench-options.js';
import { Cleanup, log, raiseBenchPriority, runBench, sleep, stopPublisher } from './bench-process.js';
import { MB, percentile } from './bench-report.js';
import { startOriginBackend, startOurOrigin, type ServerUnderTest } from './bench-servers.js';
import { PlaylistWatch } from './playlist-watch.js';
import { CpuMeter, rssBytes } from './proc-stats.js';
import { wallClockMs } from './rtmp-timing-relay.js';

const benchDir = path.join(repoRoot, '.run', 'bench');
const logDir = path.join(benchDir, 'logs');
const ADMIN_TOKEN = `adm_bench_srt_${process.pid}_token`;
const WARMUP_MS = 8000;
const IDLE_WINDOW_MS = 5000;
const SRT_LATENCY_MS = 120;
const cleanup = new Cleanup();

type Protocol = 'rtmp' | 'srt';

interface ProtocolResult {
  protocol: Protocol;
  cpuPercentPerStream: number;
  rssMbPerStream: number;
  delaysMs: number[];
}

async function adminRequest(apiUrl: string, method: string, route: string, body?: object): Promise<any> {
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function newStreamKeys(apiUrl: string, name: string): Promise<{ id: string; rtmp: string; srt: string }> {
  const stream = await adminRequest(apiUrl, 'POST', '/v1/streams', { name });
  const keys = (await adminRequest(apiUrl, 'GET', `/v1/streams/${stream.id}/stream-keys`)).data as Array<{ protocol: string; stream_key: string }>;
  const key = (protocol: string) => keys.find((entry) => entry.protocol === protocol)!.stream_key;
  return { id: stream.id, rtmp: key('rtmp'), srt: key('srt') };
}

async function runProtocol(protocol: Protocol, origin: ServerUnderTest, apiUrl: string, hlsPath: string, clip: string, streams: number, windowMs: number, idleCoresPerSecond: number): Promise<ProtocolResult> {
  const pid = origin.pids()[0]!;
  const watch = new PlaylistWatch(hlsPath);
  const publishers: Array<{ id: string; startedAt: number; publisher: Publisher }> = [];
  const baselineRss = rssBytes(pid);
  for (let index = 0; index < streams; index++) {
    const keys = await newStreamKeys(apiUrl, `bench ${protocol} ${index}`);
    watch.expect(keys.id);
    const startedAt = wallClockMs();
    const publisher =
      protocol === 'rtmp'
        ? publishFile(clip, `rtmp://127.0.0.1:${origin.rtmpPort}/stream/${keys.rtmp}`, { loops: -1 })
        : sendOverSrt(clip, `srt://127.0.0.1:${origin.srtPort}?streamid=${keys.srt}&latency=${SRT_LATENCY_MS * 1000}`, { loops: -1 });
    publishers.push({ id: keys.id, startedAt, publisher });
  }
  log(`${protocol}: ${streams} publishers started; ${WARMUP_MS / 1000} s warm-up, then ${windowMs / 1000} s measured`);
  await sleep(WARMUP_MS);
  const cpu = new CpuMeter(() => origin.pids());
  cpu.start();
  let peakRss = 0;
  const windowEnd = Date.now() + windowMs;
  while (Date.now() < windowEnd) {
    await sleep(1000);
    cpu.sample();
    peakRss = Math.max(peakRss, rssBytes(pid));
  }
  const used = cpu.stop();
  const delaysMs: number[] = [];
  for (const { id, startedAt } of publishers) {
    let mediaEndSeconds = 0;
    for (const segment of [...watch.segments(id).values()].sort((a, b) => a.mediaSequence - b.mediaSequence)) {
      mediaEndSeconds += segment.durationSeconds;
      const dueAt = startedAt + mediaEndSeconds * 1000;
      if (!segment.late && dueAt > startedAt + WARMUP_MS / 2) delaysMs.push(segment.seenAt - dueAt);
    }
    if (watch.segments(id).size === 0) log(`${protocol}: stream ${id} made no segment (see ${logDir})`);
  }
  watch.close();
  await Promise.all(publishers.map(({ publisher }) => stopPublisher(publisher)));
  await sleep(3000);
  return {
    protocol,
    cpuPercentPerStream: ((used.total / (windowMs / 1000) - idleCoresPerSecond) * 100) / streams,
    rssMbPerStream: (peakRss - baselineRss) / MB / streams,
    delaysMs,
  };
}

function render(results: readonly ProtocolResult[], streams: number): string {
  const lines = [`protocol  streams  CPU %/stream  RSS MB/stream  glass-to-playlist p50 / p95 / max ms (segments)`];
  for (const { protocol, cpuPercentPerStream, rssMbPerStream, delaysMs } of results) {
    const ms = (p: number) => (percentile(delaysMs, p) ?? NaN).toFixed(0).padStart(5);
    lines.push(
      `${protocol.padEnd(8)}  ${String(streams).padStart(7)}  ${cpuPercentPerStream.toFixed(2).padStart(12)}  ${rssMbPerStream.toFixed(1).padStart(13)}  ${ms(50)} / ${ms(95)} / ${ms(100)} (${delaysMs.length})`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const flags = flagValues(process.argv.slice(2));
  const streams = Number(flags.get('streams') ?? '2');
  if (!Number.isInteger(streams) || streams < 1 || streams > 50) throw new Error('--streams takes 1 to 50');
  const windowMs = seconds('seconds', flags.get('seconds') ?? '30', 10, 600) * 1000;
  raiseBenchPriority();
  const clip = await ensureBenchClip(benchDir, log);
  await mkdir(logDir, { recursive: true });
  const backend = await startOriginBackend(logDir, { ADMIN_TOKEN, ALLOWED_STREAMS: '' });
  cleanup.add('API and Redis', () => backend.stop());
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-bench-srt-'));
  cleanup.add(`HLS folder ${hlsPath}`, () => rm(hlsPath, { recursive: true, force: true }));
  const origin = await startOurOrigin({ api: backend.internal, hlsPath, logDir, env: { SRT_LATENCY_MS: String(SRT_LATENCY_MS) } });
  cleanup.add('origin', () => origin.stop());
  const idle = new CpuMeter(() => origin.pids());
  idle.start();
  await sleep(IDLE_WINDOW_MS);
  const idleCoresPerSecond = idle.stop().total / (IDLE_WINDOW_MS / 1000);
  const results: ProtocolResult[] = [];
  for (const protocol of ['rtmp', 'srt'] as const) results.push(await runProtocol(protocol, origin, backend.apiUrl, hlsPath, clip, streams, windowMs, idleCoresPerSecond));
  process.stdout.write(`${clipDescription()}; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)} at the end\n${render(results, streams)}\n`);
  return 0;
}

runBench(main, cleanup);
