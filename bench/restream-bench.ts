/**
 * `npm run bench:restream`: what one restream push costs in our origin, against the `ffmpeg -c copy`
 * relay per target that platforms built on nginx-rtmp run (seed 000), at 1, 3 and 10 targets per
 * stream. Both sides get the same input (bench:origin's 720p30 2.5 Mb/s clip, published by ffmpeg
 * `-re -stream_loop -1 -c copy`) and push to the same receiver: one nginx-rtmp (`live on`, no HLS),
 * or without it a node process around test-support/rtmp-receiver.ts (bench/bench-receiver.ts).
 *
 * Method:
 * - Ours: a private redis-server and API (shared by all rounds) and a fresh origin per round, from
 *   the build. Each round makes a stream with N custom targets through /v1, publishes with the
 *   stream's key, waits until the receiver has all N publishes, warms up, and measures the
 *   origin's utime + stime (/proc, all threads) over the window. The origin also ingests and
 *   packages HLS, so a round with 0 targets is the baseline: CPU per push = (CPU with N − CPU
 *   with 0) / N; memory alike, from the mean VmRSS over each window.
 * - ffmpeg: the publisher goes to the receiver's live source (nginx application `src`), N relays
 *   read it and push to the receiver; CPU and VmRSS summed over the N relay processes. The
 *   source's cost of serving the relays is not counted (in our origin that fan-out is part of the
 *   measured process).
 * - The receiver's per-stream byte counts over the window show both sides delivered the whole
 *   stream; a push that fell behind (keyframe skips), a relay that exited or a receiver that got
 *   much less than the clip's bitrate is reported as a problem (exit code 1).
 * - Priority as in bench:origin: everything runs at niceness -5 when allowed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import { nginxRtmpAvailable } from '../test-support/nginx-rtmp.js';
import { waitFor } from '../test-support/wait-for.js';
import { BenchOptionError } from './bench-options.js';
import { CLIP, clipDescription, ensureBenchClip } from './bench-clip.js';
import { Cleanup, log, raiseBenchPriority, runBench, sleep, stopPublisher } from './bench-process.js';
import { startOriginBackend, startOurOrigin, type OriginBackend } from './bench-servers.js';
import { repoRoot } from '../test-support/repo-root.js';
import { startCopyRelay, type CopyRelay } from './ffmpeg-copy-relay.js';
import type { BenchReceiver } from './bench-receiver.js';
import { startNginxRtmpReceiver } from './nginx-rtmp-receiver.js';
import { startNodeRtmpReceiver } from './node-rtmp-receiver.js';
import { CpuMeter, machineJiffies, privateBytes, rssBytes } from './proc-stats.js';
import { restreamApiClient, type RestreamApiClient } from './restream-api-client.js';
import { RESTREAM_USAGE, readRestreamBenchOptions, type RestreamBenchOptions } from './restream-bench-options.js';
import { renderRestreamDetails, renderRestreamTable, type RestreamRoundResult, type RestreamSide } from './restream-report.js';

const benchDir = path.join(repoRoot, '.run', 'bench');
const logDir = path.join(benchDir, 'restream-logs');
const SAMPLE_MS = 1000;
/** How long N pushes (or relays, which probe their input first) may take to reach the receiver. */
const PUSHES_UP_TIMEOUT_MS = 30_000;
/** A push delivering less than this share of the clip's bitrate over the window is a problem. */
const MIN_DELIVERED_SHARE = 0.8;

const cleanup = new Cleanup();

interface RoundContext {
  options: RestreamBenchOptions;
  clip: string;
  receiver: BenchReceiver;
  backend: OriginBackend;
  api: RestreamApiClient;
}

interface Subject {
  /** Processes whose CPU and memory are measured. */
  pids(): number[];
  publisher: Publisher;
  /** Receiver stream names of this round's pushes. */
  names: string[];
}

type Measurement = Omit<RestreamRoundResult, 'side' | 'targets' | 'pushesUp' | 'skippedKeyframes' | 'problems'>;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const running = (child: Publisher['child']) => child.exitCode === null && child.signalCode === null;

async function receivedBytes(receiver: BenchReceiver, names: readonly string[]): Promise<Map<string, number>> {
  const stats = await receiver.streams('receive');
  return new Map(names.map((name) => [name, stats.find((s) => s.name === name && s.publishing)?.bytesIn ?? 0]));
}

async function waitForPushes(receiver: BenchReceiver, names: readonly string[], publisher: Publisher): Promise<void> {
  await waitFor(
    `${names.length} publishes at the receiver`,
    async () => {
      if (!running(publisher.child)) throw new Error(`the publisher exited: ${(publisher as Publisher & { stderr?: string }).stderr?.trim() ?? ''}`);
      const publishing = new Set((await receiver.streams('receive')).filter((s) => s.publishing).map((s) => s.name));
      return names.every((name) => publishing.has(name));
    },
    { timeoutMs: PUSHES_UP_TIMEOUT_MS, intervalMs: 200 },
  );
}

/** Warm-up, then the window: CPU, memory and what the receiver got. */
async function measure(subject: Subject, context: RoundContext): Promise<Measurement> {
  const { options, receiver } = context;
  await sleep(options.warmupSeconds * 1000);
  const subjectCpu = new CpuMeter(subject.pids);
  const publisherCpu = new CpuMeter(() => (subject.publisher.child.pid ? [subject.publisher.child.pid] : []));
  const receiverCpu = new CpuMeter(() => receiver.pids());
  const bytesBefore = await receivedBytes(receiver, subject.names);
  const machineStart = machineJiffies();
  const from = performance.now();
  for (const meter of [subjectCpu, publisherCpu, receiverCpu]) meter.start();
  const rssSamples: number[] = [];
  const privateSamples: number[] = [];
  const windowEnd = from + options.windowSeconds * 1000;
  while (performance.now() < windowEnd) {
    const pids = subject.pids();
    rssSamples.push(pids.reduce((sum, pid) => sum + rssBytes(pid), 0));
    privateSamples.push(pids.reduce((sum, pid) => sum + privateBytes(pid), 0));
    for (const meter of [subjectCpu, publisherCpu, receiverCpu]) meter.sample();
    await sleep(Math.min(SAMPLE_MS, Math.max(0, windowEnd - performance.now())));
  }
  const cpu = subjectCpu.stop();
  const publisher = publisherCpu.stop();
  const receiverTimes = receiverCpu.stop();
  const windowSeconds = (performance.now() - from) / 1000;
  const machineEnd = machineJiffies();
  const bytesAfter = await receivedBytes(receiver, subject.names);
  const percent = (seconds: number) => (100 * seconds) / windowSeconds;
  return {
    windowSeconds,
    cpuPercent: percent(cpu.total),
    systemCpuPercent: percent(cpu.system),
    rssMeanBytes: mean(rssSamples),
    privateMeanBytes: mean(privateSamples),
    publisherCpuPercent: percent(publisher.total),
    receiverCpuPercent: percent(receiverTimes.total),
    machineBusyPercent: (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total),
    deliveredBps: subject.names.map((name) => ((bytesAfter.get(name) ?? 0) - (bytesBefore.get(name) ?? 0)) * 8 / windowSeconds),
  };
}

function deliveryProblems(measured: Measurement, names: readonly string[]): string[] {
  const nominalBps = (CLIP.videoKbps + CLIP.audioKbps) * 1000;
  return measured.deliveredBps.flatMap((bps, i) =>
    bps < MIN_DELIVERED_SHARE * nominalBps ? [`${names[i]} delivered ${(bps / 1e6).toFixed(2)} Mb/s (clip: ${(nominalBps / 1e6).toFixed(2)})`] : [],
  );
}

async function oursRound(targets: number, context: RoundContext): Promise<RestreamRoundResult> {
  const { receiver, api, backend } = context;
  const names = Array.from({ length: targets }, (_, i) => `ours${targets}-k${i + 1}`);
  const stream = await api.createStream(`bench ${targets} targets`, receiver.receiveUrl, names);
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-bench-restream-'));
  const removeHls = cleanup.add(`HLS folder ${hlsPath}`, () => rm(hlsPath, { recursive: true, force: true }));
  const origin = await startOurOrigin({ api: backend.internal, hlsPath, logDir });
  const stopOrigin = cleanup.add('origin', () => origin.stop());
  const publisher = publishFile(context.clip, `rtmp://127.0.0.1:${origin.rtmpPort}/stream/${stream.streamKey}`, { loops: -1 });
  const stopSource = cleanup.add('publisher', () => stopPublisher(publisher));

  await waitFor('the origin to go live', async () => ((await origin.stats())?.liveStreams ?? 0) >= 1, { timeoutMs: 15_000, intervalMs: 200 });
  await waitForPushes(receiver, names, publisher);
  log(`  ours x${targets}: ${targets > 0 ? `${targets} pushes up` : 'live, no targets'}; warm-up ${context.options.warmupSeconds} s, window ${context.options.windowSeconds} s`);
  const measured = await measure({ pids: () => origin.pids(), publisher, names }, context);

  const problems = deliveryProblems(measured, names);
  const statuses = targets > 0 ? await api.targetStatuses(stream.id) : [];
  const live = statuses.filter((t) => t.status?.state === 'live').length;
  const skippedKeyframes = statuses.reduce((sum, t) => sum + (t.status?.skipped_keyframes ?? 0), 0);
  if (live < targets) {
    const states = statuses.map((t) => `${t.name} ${t.status?.state ?? 'unreported'}${t.status?.last_error ? ` (${t.status.last_error.message})` : ''}`);
    problems.push(`pushes not live: ${states.join(', ')}`);
  }
  if (skippedKeyframes > 0) problems.push(`pushes fell behind: ${skippedKeyframes} keyframe skips`);
  if (!running(publisher.child)) problems.push('the publisher exited during the round');

  await stopSource();
  await stopOrigin();
  await removeHls();
  return { side: 'ours', targets, ...measured, pushesUp: live, skippedKeyframes, problems };
}

async function ffmpegRound(targets: number, context: RoundContext): Promise<RestreamRoundResult> {
  const { receiver } = context;
  const source = `${receiver.sourceUrl}/ffmpeg${targets}`;
  const names = Array.from({ length: targets }, (_, i) => `ffmpeg${targets}-k${i + 1}`);
  const publisher = publishFile(context.clip, source, { loops: -1 });
  const stopSource = cleanup.add('publisher', () => stopPublisher(publisher));
  await waitFor(
    'the publish into the source',
    async () => (await receiver.streams('source')).some((s) => s.name === `ffmpeg${targets}` && s.publishing),
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  const relays: CopyRelay[] = [];
  const stopRelays = cleanup.add('ffmpeg relays', async () => {
    await Promise.all(relays.map(stopPublisher));
  });
  for (const name of names) relays.push(startCopyRelay(source, `${receiver.receiveUrl}/${name}`));

  await waitForPushes(receiver, names, publisher);
  log(`  ffmpeg x${targets}: ${targets} relays up; warm-up ${context.options.warmupSeconds} s, window ${context.options.windowSeconds} s`);
  const relayPids = () => relays.filter((relay) => running(relay.child)).map((relay) => relay.child.pid ?? 0).filter((pid) => pid > 0);
  const measured = await measure({ pids: relayPids, publisher, names }, context);

  const problems = deliveryProblems(measured, names);
  const up = relays.filter((relay) => running(relay.child)).length;
  for (const [i, relay] of relays.entries()) {
    if (!running(relay.child)) problems.push(`relay ${names[i]} exited (${relay.stderr.trim().split('\n').at(-1) || `code ${relay.child.exitCode}`})`);
  }
  if (!running(publisher.child)) problems.push('the publisher exited during the round');

  await stopRelays();
  await stopSource();
  return { side: 'ffmpeg', targets, ...measured, pushesUp: up, skippedKeyframes: undefined, problems };
}

const receiverName = (receiver: BenchReceiver) => (receiver.kind === 'nginx' ? 'nginx-rtmp' : 'node (test-support/rtmp-receiver)');

async function main(): Promise<number> {
  let options: RestreamBenchOptions;
  try {
    options = readRestreamBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchOptionError)) throw error;
    log(`error: ${error.message}\n\n${RESTREAM_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(RESTREAM_USAGE);
    return 0;
  }
  const receiverKind = options.receiver ?? (nginxRtmpAvailable() ? 'nginx' : 'node');
  if (receiverKind === 'nginx' && !nginxRtmpAvailable()) {
    log('error: --receiver nginx, but nginx-rtmp is not installed (apt-get install nginx libnginx-mod-rtmp)');
    return 2;
  }
  raiseBenchPriority();

  const clip = await ensureBenchClip(benchDir, log);
  await rm(logDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  const receiver = receiverKind === 'nginx' ? await startNginxRtmpReceiver() : await startNodeRtmpReceiver();
  cleanup.add(`${receiverKind} receiver`, () => receiver.stop());
  const adminToken = `bench_${randomBytes(16).toString('hex')}`;
  const backend = await startOriginBackend(logDir, {
    ADMIN_TOKEN: adminToken,
    ALLOWED_STREAMS: '',
    ALLOW_PRIVATE_TARGETS: '1',
    RESTREAM_MAX_TARGETS: String(Math.max(10, ...options.targets)),
  });
  cleanup.add('redis-server and API', () => backend.stop());
  const context: RoundContext = { options, clip, receiver, backend, api: restreamApiClient(backend.apiUrl, adminToken) };

  const rounds: Array<[RestreamSide, number]> = [['ours', 0], ...options.targets.flatMap((n): Array<[RestreamSide, number]> => [['ours', n], ['ffmpeg', n]])];
  const perRound = options.warmupSeconds + options.windowSeconds + 6;
  log(`restream benchmark: ${clipDescription()}; targets ${options.targets.join(', ')} (and 0 for our baseline)`);
  log(`${rounds.length} rounds of about ${perRound.toFixed(0)} s (logs in ${logDir})`);

  const results: RestreamRoundResult[] = [];
  for (const [side, targets] of rounds) {
    results.push(side === 'ours' ? await oursRound(targets, context) : await ffmpegRound(targets, context));
  }

  console.log(`\nrestream benchmark: ${clipDescription()}, one publisher, N targets on one ${receiverName(receiver)} receiver`);
  console.log(
    `window ${options.windowSeconds} s after ${options.warmupSeconds} s warm-up, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ` +
      `node ${process.version}; CPU % is of one core`,
  );
  console.log(
    'ours: our origin process; pushes = origin CPU − origin CPU with 0 targets (ingest + HLS), per push = pushes / N; ' +
      '+RSS likewise from mean VmRSS. ffmpeg: N `ffmpeg -i <live source> -c copy -f flv` relays summed, per relay = / N\n',
  );
  console.log(renderRestreamTable(results));
  console.log('\ndetails:');
  console.log(renderRestreamDetails(results));
  const resultsFile = path.join(benchDir, 'restream-last-run.json');
  await writeFile(resultsFile, `${JSON.stringify({ options, results }, null, 1)}\n`);
  console.log(`\nevery round: ${resultsFile}`);
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

runBench(main, cleanup);
