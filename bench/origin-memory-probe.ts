/**
 * `node dist/bench/origin-memory-probe.js [--streams 10,20,30] [--settle 12]`: where our origin's
 * memory per live stream goes. Publishers are added in steps (real ffmpeg `-re -c copy` of the
 * benchmark clip); after each step settles, the origin's own `process.memoryUsage()` split
 * (GET /stats) is printed with the growth per stream since the idle origin. Then every publisher
 * stops and the same figures show what stays. HLS_LOW_LATENCY is taken from the environment
 * (default off, as in bench:origin). `--heap-snapshot` also writes a V8 heap snapshot of the
 * origin at the largest step and once every stream ended (SIGUSR2, --heapsnapshot-signal) into
 * .run/bench/; a snapshot starts with a full garbage collection, so the row after it shows what
 * is really retained rather than what waits for the collector.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishFile, type Publisher } from '../test-support/ffmpeg.js';
import type { ProcessMemory } from '../origin/src/process-memory.js';
import { forceFullCollection, snapshotOnSignalFlags } from '../test-support/forced-collection.js';
import { repoRoot } from '../test-support/repo-root.js';
import { clipDescription, ensureBenchClip } from './bench-clip.js';
import { counts, flagValues, seconds } from './bench-options.js';
import { Cleanup, log, runBench, sleep, stopPublisher } from './bench-process.js';
import { MB } from './bench-report.js';
import { startOriginBackend, startOurOrigin, type ServerUnderTest } from './bench-servers.js';

const benchDir = path.join(repoRoot, '.run', 'bench');
const logDir = path.join(benchDir, 'logs');
const cleanup = new Cleanup();

type Memory = ProcessMemory;
const FIELDS: Array<[keyof Memory, string]> = [
  ['rssBytes', 'rss'],
  ['heapTotalBytes', 'heapTotal'],
  ['heapUsedBytes', 'heapUsed'],
  ['newSpaceBytes', 'newSpace'],
  ['externalBytes', 'external'],
  ['arrayBuffersBytes', 'arrayBuffers'],
];

async function memoryOf(server: ServerUnderTest): Promise<Memory> {
  const stats = (await server.stats()) as unknown as { memory?: Memory } | undefined;
  if (!stats?.memory) throw new Error('the origin\'s GET /stats has no memory figures');
  return stats.memory;
}

function row(label: string, memory: Memory, idle: Memory | undefined, streams: number): string {
  const cells = FIELDS.map(([key, name]) => {
    const total = `${name} ${(memory[key] / MB).toFixed(1)}`;
    if (!idle || streams === 0) return total;
    return `${total} (${((memory[key] - idle[key]) / MB / streams).toFixed(2)}/stream)`;
  });
  return `${label.padEnd(14)} ${cells.join('  ')}`;
}

async function heapSnapshot(server: ServerUnderTest): Promise<void> {
  log(`  heap snapshot ${await forceFullCollection(server.pids()[0]!, benchDir, { keep: true })}`);
}

async function main(): Promise<number> {
  const flags = flagValues(process.argv.slice(2));
  const steps = counts('--streams', flags.get('streams') ?? '10,20,30', 400);
  const settleMs = seconds('--settle', flags.get('settle') ?? '12', 4, 600) * 1000;
  const snapshot = flags.has('heap-snapshot');
  const clip = await ensureBenchClip(benchDir, log);
  await mkdir(logDir, { recursive: true });
  const backend = await startOriginBackend(logDir);
  cleanup.add('redis-server and API', () => backend.stop());
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-memory-probe-'));
  cleanup.add(`HLS folder ${hlsPath}`, () => rm(hlsPath, { recursive: true, force: true }));
  const largest = Math.max(...steps);
  const server = await startOurOrigin({
    api: backend.internal,
    hlsPath,
    logDir,
    env: { RTMP_MAX_CONNECTIONS_PER_ADDRESS: String(largest + 10) },
    nodeArgs: snapshot ? snapshotOnSignalFlags(benchDir) : [],
  });
  cleanup.add('origin', () => server.stop());
  const publishers: Publisher[] = [];
  cleanup.add('ffmpeg publishers', () => Promise.all(publishers.map(stopPublisher)).then(() => undefined));

  console.log(`origin memory probe: ${clipDescription()}; HLS_LOW_LATENCY=${process.env.HLS_LOW_LATENCY ?? '0'}; MB (growth per stream since idle)`);
  await sleep(2000);
  const idle = await memoryOf(server);
  console.log(row('idle', idle, undefined, 0));
  for (const streams of steps) {
    while (publishers.length < streams) {
      publishers.push(publishFile(clip, `rtmp://127.0.0.1:${server.rtmpPort}/stream/probe-${publishers.length + 1}`, { loops: -1 }));
      await sleep(50);
    }
    await sleep(settleMs);
    console.log(row(`${streams} streams`, await memoryOf(server), idle, streams));
    if (snapshot && streams === largest) {
      await heapSnapshot(server);
      console.log(row('  after full GC', await memoryOf(server), idle, streams));
    }
  }
  await Promise.all(publishers.map(stopPublisher));
  publishers.length = 0;
  await sleep(settleMs);
  console.log(row('all ended', await memoryOf(server), idle, largest));
  if (snapshot) {
    await heapSnapshot(server);
    console.log(row('  after full GC', await memoryOf(server), idle, largest));
  }
  return 0;
}

runBench(main, cleanup);
