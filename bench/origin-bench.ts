/**
 * `npm run bench:origin`: N real ffmpeg publishers (`-re -stream_loop -1 -c copy`) of a 720p30
 * 2.5 Mb/s clip into our origin and, when installed, into nginx-rtmp configured alike; prints CPU,
 * memory and segment delay of each side by side.
 *
 * Method, the same for both servers:
 * - CPU: utime + stime of the server's processes (/proc/<pid>/stat, all threads; nginx: master,
 *   worker and cache manager) over the window, as % of one core. Resolution 10 ms of CPU time.
 * - Memory: VmRSS summed over those processes, sampled every second; the peak is reported, and
 *   the growth over the idle server before any publisher connected.
 * - Segment delay: each publisher goes through a TCP relay in this process that parses the RTMP
 *   chunk stream and notes when the last byte of every video keyframe was written to the server.
 *   A server can only close a segment once it has the keyframe that opens the next one. Every
 *   stream folder is watched with inotify; for each new segment, delay = (time the rename of the
 *   first playlist naming it was seen) − (send time of its closing keyframe, found from the
 *   cumulative EXTINF). This measures the actual send time rather than assuming `-re` sends media
 *   time t at publisher start + t (the details print how far ffmpeg's pacing strays from that).
 *   Error bounds: the "seen" time is late by the inotify delivery and this process's scheduling
 *   (sub-ms when the machine is idle; more when both cores are busy). The playlist ctime, printed as
 *   a cross-check, is the kernel's rename time but from a coarse clock that lags by up to one
 *   scheduler tick (measured 0-7 ms here), so it reads early. The true delay lies between the two.
 * - Event-loop delay (our origin only): p99 and max of Node's event-loop delay over the window,
 *   from the origin's GET /metrics (prom-client's nodejs_eventloop_lag_*, a 10 ms timer whose
 *   histogram each scrape resets; the 10 ms of the timer's own period are taken off).
 * - Priority: this process and everything it starts (servers, publishers) run at niceness -5 when
 *   allowed, so other work on a shared machine disturbs the measurement less; among themselves
 *   they keep equal priority.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import { repoRoot } from '../test-support/repo-root.js';
import { nginxRtmpAvailable } from '../test-support/nginx-rtmp.js';
import { clipDescription, ensureBenchClip } from './bench-clip.js';
import { BenchOptionError, MAX_STARTS_PER_SECOND, readBenchOptions, USAGE, type BenchOptions } from './bench-options.js';
import { Cleanup, log, raiseBenchPriority, runBench, sleep, stopPublisher } from './bench-process.js';
import { renderDetails, renderTable, renderTargets, type RoundResult } from './bench-report.js';
import {
  startNginxOrigin,
  startOriginBackend,
  startOurOrigin,
  type OriginBackend,
  type ServerKind,
  type ServerUnderTest,
} from './bench-servers.js';
import { pinProcess, splitCpus, type CpuSplit } from './cpu-pinning.js';
import { summarizeCpuProfile } from './cpu-profile-summary.js';
import { PlaylistWatch } from './playlist-watch.js';
import { CpuMeter, machineJiffies, rssBytes } from './proc-stats.js';
import { startTimingRelay, wallClockMs, type TimingRelay } from './rtmp-timing-relay.js';
import { pacingSpreadMs, segmentDelays } from './segment-delay.js';

const benchDir = path.join(repoRoot, '.run', 'bench');
const logDir = path.join(benchDir, 'logs');
const RSS_SAMPLE_MS = 1000;

const cleanup = new Cleanup();

interface RoundContext {
  options: BenchOptions;
  clip: string;
  backend: () => Promise<OriginBackend>;
  round: number;
  /** Set with --pin: where the server under test runs, apart from everything else. */
  cpus: CpuSplit | undefined;
}

async function runRound(kind: ServerKind, streams: number, context: RoundContext): Promise<RoundResult> {
  const { options } = context;
  const problems: string[] = [];
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), `livestack-bench-${kind}-`));
  const removeHls = cleanup.add(`HLS folder ${hlsPath}`, () => rm(hlsPath, { recursive: true, force: true }));
  const profileDir = options.cpuProfile && kind === 'ours' ? path.join(benchDir, 'profiles', `ours-${streams}-${Date.now()}`) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });

  let server: ServerUnderTest;
  if (kind === 'ours') {
    const backend = await context.backend();
    // Every publisher comes from 127.0.0.1, each through its timing relay.
    const env = { RTMP_MAX_CONNECTIONS_PER_ADDRESS: String(streams + 10) };
    server = await startOurOrigin({ api: backend.internal, hlsPath, logDir, cpuProfileDir: profileDir, env });
  } else {
    server = await startNginxOrigin(hlsPath);
  }
  const stopServer = cleanup.add(`${kind} server`, () => server.stop());
  if (context.cpus) for (const pid of server.pids()) pinProcess(pid, context.cpus.server);
  await sleep(1000);
  const rssIdleBytes = server.pids().reduce((sum, pid) => sum + rssBytes(pid), 0);

  const watch = new PlaylistWatch(hlsPath);
  const closeWatch = cleanup.add('playlist watch', async () => watch.close());
  const relays: TimingRelay[] = [];
  const publishers: Publisher[] = [];
  const closeRelays = cleanup.add('RTMP relays', async () => {
    await Promise.all(relays.map((relay) => relay.close()));
  });
  const stopPublishers = cleanup.add('ffmpeg publishers', async () => {
    await Promise.all(publishers.map(stopPublisher));
  });

  const names = Array.from({ length: streams }, (_, i) => `bench${context.round}-${kind}-${i + 1}`);
  const staggerMs = streams > 1 ? Math.max(options.staggerSeconds * 1000, (streams * 1000) / MAX_STARTS_PER_SECOND) / streams : 0;
  for (const name of names) {
    const relay = await startTimingRelay(server.rtmpPort);
    relays.push(relay);
    watch.expect(name);
    publishers.push(publishFile(context.clip, `rtmp://127.0.0.1:${relay.port}/stream/${name}`, { loops: -1 }));
    if (staggerMs > 0) await sleep(staggerMs);
  }
  log(`  ${kind} x${streams}: publishers started; warm-up ${options.warmupSeconds} s, window ${options.windowSeconds} s`);
  await sleep(options.warmupSeconds * 1000);

  const serverCpu = new CpuMeter(() => server.pids());
  const ffmpegCpu = new CpuMeter(() => publishers.map((p) => p.child.pid ?? 0).filter((pid) => pid > 0));
  const machineStart = machineJiffies();
  const benchStart = process.cpuUsage();
  const from = wallClockMs();
  serverCpu.start();
  ffmpegCpu.start();
  // Starts the origin's event-loop delay histogram afresh: it covers the window only.
  await server.eventLoopDelay();
  let rssPeakBytes = 0;
  const windowEnd = Date.now() + options.windowSeconds * 1000;
  while (Date.now() < windowEnd) {
    rssPeakBytes = Math.max(rssPeakBytes, server.pids().reduce((sum, pid) => sum + rssBytes(pid), 0));
    serverCpu.sample();
    ffmpegCpu.sample();
    await sleep(Math.min(RSS_SAMPLE_MS, Math.max(0, windowEnd - Date.now())));
  }
  const to = wallClockMs();
  const windowSeconds = (to - from) / 1000;
  const serverTimes = serverCpu.stop();
  const cpuPercent = (100 * serverTimes.total) / windowSeconds;
  const systemCpuPercent = (100 * serverTimes.system) / windowSeconds;
  const ffmpegCpuPercent = (100 * ffmpegCpu.stop().total) / windowSeconds;
  const bench = process.cpuUsage(benchStart);
  const benchCpuPercent = (100 * (bench.user + bench.system)) / 1e6 / windowSeconds;
  const machineEnd = machineJiffies();
  const machineBusyPercent = (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total);
  const eventLoopDelay = await server.eventLoopDelay();
  const originStats = await server.stats();

  for (const [i, publisher] of publishers.entries()) {
    if (publisher.child.exitCode !== null || publisher.child.signalCode !== null) {
      const stderr = (publisher as Publisher & { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? '';
      problems.push(`publisher ${names[i]} exited during the round (${stderr || `code ${publisher.child.exitCode}`})`);
    }
  }
  const seenDelaysMs: number[] = [];
  const renamedDelaysMs: number[] = [];
  const samples: RoundResult['samples'] = [];
  let unmatchedSegments = 0;
  let fewestSamplesPerStream = Number.POSITIVE_INFINITY;
  let spread: number | undefined;
  for (const [i, name] of names.entries()) {
    const keyframes = relays[i]!.keyframes;
    const delays = segmentDelays(watch.segments(name), keyframes, { from, to });
    for (const sample of delays.samples) {
      seenDelaysMs.push(sample.seenMs);
      renamedDelaysMs.push(sample.renamedMs);
      samples.push({ stream: name, ...sample });
    }
    unmatchedSegments += delays.unmatched;
    fewestSamplesPerStream = Math.min(fewestSamplesPerStream, delays.samples.length);
    const streamSpread = pacingSpreadMs(keyframes, { from, to });
    if (streamSpread !== undefined) spread = Math.max(spread ?? 0, streamSpread);
  }
  if (fewestSamplesPerStream === 0) problems.push('some stream produced no measurable segment in the window');

  await stopPublishers();
  await closeRelays();
  await closeWatch();
  await stopServer();
  await removeHls();
  // The profile starts with the process; only the window is summarized.
  if (profileDir) await printProfile(profileDir, streams, { fromMs: from - server.startedAt, toMs: to - server.startedAt });

  return {
    server: kind,
    streams,
    windowSeconds,
    cpuPercent,
    systemCpuPercent,
    rssPeakBytes,
    rssIdleBytes,
    ffmpegCpuPercent,
    benchCpuPercent,
    machineBusyPercent,
    seenDelaysMs,
    renamedDelaysMs,
    samples,
    unmatchedSegments,
    fewestSamplesPerStream: Number.isFinite(fewestSamplesPerStream) ? fewestSamplesPerStream : 0,
    pacingSpreadMs: spread,
    originStats,
    eventLoopDelay,
    problems,
  };
}

async function printProfile(profileDir: string, streams: number, range: { fromMs: number; toMs: number }): Promise<void> {
  const files = (await readdir(profileDir)).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) {
    log(`  no CPU profile was written to ${profileDir}`);
    return;
  }
  const file = path.join(profileDir, files.sort().at(-1)!);
  const summary = summarizeCpuProfile(file, repoRoot, { top: 25, range });
  console.log(
    `\nour origin with ${streams} streams, main thread during the window: ${(summary.totalMs / 1000).toFixed(2)} s busy ` +
      `(GC helper threads and the libuv pool are not sampled; ${file})`,
  );
  console.log('top functions by self time:');
  for (const f of summary.functions) {
    console.log(`  ${f.selfPercent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.location}`);
  }
  console.log('self time by file:');
  for (const f of summary.files) {
    console.log(`  ${f.selfPercent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.file}`);
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = readBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchOptionError)) throw error;
    log(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const nginxInstalled = nginxRtmpAvailable();
  const servers = options.servers ?? (nginxInstalled ? ['ours', 'nginx'] : ['ours']);
  if (servers.includes('nginx') && !nginxInstalled) {
    log('error: --servers includes nginx, but nginx-rtmp is not installed (apt-get install nginx libnginx-mod-rtmp)');
    return 2;
  }
  raiseBenchPriority();
  const cpus = options.pin ? splitCpus(os.cpus().length) : undefined;
  if (options.pin && !cpus) log('note: --pin needs at least 2 CPUs; running unpinned');
  // This process first: the publishers, redis-server and the API it starts inherit the mask.
  if (cpus) pinProcess(process.pid, cpus.rest);

  const clip = await ensureBenchClip(benchDir, log);
  // Logs of this run only (services append to them, round after round).
  await rm(logDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  let backend: OriginBackend | undefined;
  const context: RoundContext = {
    options,
    clip,
    round: 0,
    cpus,
    backend: async () => {
      if (!backend) {
        const started = await startOriginBackend(logDir);
        cleanup.add('redis-server and API', () => started.stop());
        backend = started;
      }
      return backend;
    },
  };
  const rounds = options.streams.length * servers.length;
  const largest = Math.max(...options.streams);
  const perRound = Math.max(options.staggerSeconds, largest / MAX_STARTS_PER_SECOND) + options.warmupSeconds + options.windowSeconds + 3;
  log(`origin benchmark: ${clipDescription()}; servers ${servers.join(', ')}; streams ${options.streams.join(', ')}`);
  log(`${rounds} rounds of up to ${perRound.toFixed(0)} s each (logs in ${logDir})`);
  if (!nginxInstalled) log('note: nginx-rtmp is not installed: no comparison (apt-get install nginx libnginx-mod-rtmp)');

  const results: RoundResult[] = [];
  for (const streams of options.streams) {
    for (const kind of servers) {
      context.round += 1;
      results.push(await runRound(kind, streams, context));
    }
  }

  console.log(`\norigin benchmark: ${clipDescription()}`);
  console.log(
    `window ${options.windowSeconds} s after ${options.warmupSeconds} s warm-up, publishers started over ${options.staggerSeconds} s, ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}; CPU % is of one core` +
      (cpus ? `; pinned: server on CPU ${cpus.server}, publishers, bench, API and redis on CPU ${cpus.rest}` : '') +
      '\n',
  );
  console.log(renderTable(results));
  console.log('\ndetails (delay p50/max above: playlist rename seen via inotify − closing keyframe sent; see bench/origin-bench.ts):');
  console.log(renderDetails(results));
  console.log(`\n${renderTargets(results)}`);
  const resultsFile = path.join(benchDir, 'last-run.json');
  await writeFile(resultsFile, `${JSON.stringify({ options, results }, null, 1)}\n`);
  console.log(`\nevery round and segment sample: ${resultsFile}`);
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

runBench(main, cleanup);
