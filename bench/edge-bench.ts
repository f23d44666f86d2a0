/**
 * `npm run bench:edge`: how well the edge's cache shields the origin and how fast it serves.
 *
 * One live stream: real ffmpeg publishes the 720p30 2.5 Mb/s benchmark clip (2 s GOPs), looped,
 * into the whole platform started as the end-to-end tests start it (API, origin, discovery, edge,
 * private redis-server). Discovery reports a counting proxy in this process as the stream's
 * origin, so every request the edge makes is counted on the origin's side.
 *
 * 1. Cache hits: `wrk` asks the edge for the stream's playlist, then for one of its segments, for
 *    `--seconds` each; the same files from nginx serving the HLS folder as static files (when
 *    installed; one worker, as the edge is one process, then two), from a bare node:http server
 *    holding the bytes in memory (the ceiling of any edge on node:http), and directly from our
 *    origin.
 * 2. Viewers: `--viewers` simulated players poll the playlist every second through the edge and
 *    fetch each new segment once. Reported: origin requests per new segment (target: exactly 1)
 *    and per playlist change, the viewers' latencies and failures.
 *
 * Everything shares this machine's cores (wrk, ffmpeg, the platform, this process): figures are
 * comparable within one run, not across machines.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPlatform, type Platform } from '../e2e/platform-harness.js';
import { publishFile } from '../test-support/ffmpeg.js';
import { freePort } from '../test-support/free-port.js';
import { nginxBinary } from '../test-support/nginx-rtmp.js';
import { waitFor } from '../test-support/wait-for.js';
import { clipDescription, ensureBenchClip } from './bench-clip.js';
import { Cleanup, log, raiseBenchPriority, runBench, sleep, stopPublisher } from './bench-process.js';
import { repoRoot } from '../test-support/repo-root.js';
import { startCountingProxy, type CountingProxy } from './edge-counting-proxy.js';
import { startNginxStatic } from './edge-nginx-static.js';
import { renderTargets, renderViewers, renderWrkTable, type ViewerReport, type WrkRow } from './edge-report.js';
import { percentile, runViewers } from './edge-viewers.js';
import { ensureWrk, runWrk, type WrkOptions } from './edge-wrk.js';

const STREAM = 'bench';
const USAGE = `usage: npm run bench:edge -- [--seconds 10] [--connections 50] [--threads 2] [--viewers 500] [--viewer-seconds 30]`;

interface Options {
  wrk: WrkOptions;
  viewers: number;
  viewerSeconds: number;
}

function readOptions(argv: string[]): Options {
  const values = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i] ?? '';
    const value = Number(argv[i + 1]);
    if (!['--seconds', '--connections', '--threads', '--viewers', '--viewer-seconds'].includes(name) || !Number.isInteger(value) || value < 1) {
      throw new Error(`${name} ${argv[i + 1] ?? ''}: not understood\n${USAGE}`);
    }
    values.set(name, value);
  }
  return {
    wrk: { seconds: values.get('--seconds') ?? 10, connections: values.get('--connections') ?? 50, threads: values.get('--threads') ?? 2 },
    viewers: values.get('--viewers') ?? 500,
    viewerSeconds: values.get('--viewer-seconds') ?? 30,
  };
}

const cleanup = new Cleanup();

async function text(url: string): Promise<{ status: number; body: string; cache: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), cache: response.headers.get('x-cache') };
}

function segmentsOf(playlist: string): string[] {
  return playlist
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function cacheHits(platform: Platform, segment: string, options: Options): Promise<WrkRow[]> {
  const files = ['index.m3u8', segment];
  const targets = [
    { target: 'edge', base: platform.edgeUrl },
    { target: 'our origin', base: platform.originUrl },
  ];
  const nginxTargets = nginxBinary() ? [1, 2] : [];
  if (nginxTargets.length === 0) log('nginx is not installed: no nginx rows (apt-get install nginx)');
  const rows: WrkRow[] = [];
  for (const file of files) {
    const kind = file.endsWith('.m3u8') ? 'playlist' : 'segment';
    const size = (await text(`${platform.originUrl}/${STREAM}/${file}`)).body.length;
    const measure = async (target: string, base: string): Promise<void> => {
      const warm = await text(`${base}/${STREAM}/${file}`);
      if (warm.status !== 200) throw new Error(`${target} answered ${warm.status} for ${file}`);
      if (warm.cache === 'MISS' && (await text(`${base}/${STREAM}/${file}`)).cache !== 'HIT') {
        log(`note: the edge did not answer ${file} from its cache`);
      }
      log(`wrk: ${target}, ${file}`);
      rows.push({ target, file: `${kind} (${size} B)`, result: await runWrk(`${base}/${STREAM}/${file}`, options.wrk) });
    };
    for (const { target, base } of targets) {
      await measure(target, base);
      if (target !== 'edge') continue;
      for (const workers of nginxTargets) {
        const nginx = await startNginxStatic(platform.hlsPath, workers);
        const stop = cleanup.add(`nginx static (${workers})`, () => nginx.stop());
        await measure(`nginx static, ${workers} worker${workers === 1 ? '' : 's'}`, nginx.url);
        await stop();
      }
      const bare = await startBareNode(path.join(platform.hlsPath, STREAM, file));
      const stop = cleanup.add('bare node:http', () => bare.stop());
      await measure('bare node:http', bare.url);
      await stop();
    }
  }
  return rows;
}

/** See edge-bare-server.ts: the same bytes from a node:http server with nothing else to do. */
async function startBareNode(file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'bench', 'edge-bare-server.js'), file, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', () => reject(new Error('the bare node:http server exited')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

/** Distinct playlist texts on disk, read every 100 ms: the playlist changes the origin made. */
function watchPlaylistFile(file: string): { stop(): Promise<string[]> } {
  const texts: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const current = await readFile(file, 'utf8').catch(() => undefined);
      if (current !== undefined && current !== texts[texts.length - 1]) texts.push(current);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return texts;
    },
  };
}

async function viewerRound(platform: Platform, proxy: CountingProxy, options: Options): Promise<ViewerReport> {
  const coalesced = async () => {
    const metrics = await (await fetch(`${platform.edgeUrl}/metrics`)).text();
    return [...metrics.matchAll(/^edge_cache_requests_total\{[^}]*result="coalesced"[^}]*\} (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const coalescedBefore = await coalesced();
  proxy.reset();
  const watch = watchPlaylistFile(path.join(platform.hlsPath, STREAM, 'index.m3u8'));
  log(`viewers: ${options.viewers} for ${options.viewerSeconds} s`);
  const result = await runViewers({
    edgeUrl: platform.edgeUrl,
    stream: STREAM,
    viewers: options.viewers,
    seconds: options.viewerSeconds,
    pollMs: 1_000,
  });
  const texts = await watch.stop();
  const initial = new Set(segmentsOf(texts[0] ?? ''));
  const newSegments = [...new Set(texts.flatMap(segmentsOf))].filter((uri) => !initial.has(uri));
  // Only segments some viewer asked for: the newest may appear after the last poll.
  const fetched = newSegments.filter((uri) => result.segmentPaths.has(`/${STREAM}/${uri}`));
  return {
    viewers: options.viewers,
    seconds: options.viewerSeconds,
    playlistRequests: result.playlistLatenciesMs.length,
    segmentRequests: result.segmentLatenciesMs.length,
    failures: result.failures,
    playlistP50Ms: percentile(result.playlistLatenciesMs, 50),
    playlistP99Ms: percentile(result.playlistLatenciesMs, 99),
    segmentP50Ms: percentile(result.segmentLatenciesMs, 50),
    segmentP99Ms: percentile(result.segmentLatenciesMs, 99),
    servedBytesPerSecond: result.segmentBytes / options.viewerSeconds,
    newSegments: fetched.length,
    originRequestsPerNewSegment: fetched.map((uri) => proxy.counts.get(`/${STREAM}/${uri}`) ?? 0),
    playlistChanges: Math.max(0, texts.length - 1),
    originPlaylistRequests: proxy.counts.get(`/${STREAM}/index.m3u8`) ?? 0,
    coalescedWaits: (await coalesced()) - coalescedBefore,
  };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  raiseBenchPriority();
  ensureWrk();
  const clip = await ensureBenchClip(path.join(repoRoot, '.run', 'bench'), log);

  const proxy = await startCountingProxy();
  cleanup.add('counting proxy', () => proxy.close());
  log('starting the platform');
  const platform = await startPlatform({ ORIGIN_HOST: proxy.host, LOG_LEVEL: 'warn', HTTP_LOG_LEVEL: 'warn' });
  cleanup.add('platform', () => platform.stop());
  proxy.target = platform.originUrl;
  const publisher = publishFile(clip, `${platform.rtmpUrl}/${STREAM}`, { loops: -1 });
  cleanup.add('publisher', () => stopPublisher(publisher));

  const playlist = await waitFor(
    'three segments through the edge',
    async () => {
      const answer = await text(`${platform.edgeUrl}/${STREAM}/index.m3u8`);
      return answer.status === 200 && segmentsOf(answer.body).length >= 3 && answer.body;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const segment = segmentsOf(playlist).at(-1)!;

  const [load1] = os.loadavg();
  const rows = await cacheHits(platform, segment, options);
  const viewers = await viewerRound(platform, proxy, options);

  const { wrk } = options;
  process.stdout.write(
    [
      '',
      `edge benchmark: one live stream (${clipDescription()}), ${os.cpus().length} cores, load average ${load1?.toFixed(2)} at the start`,
      `cache hits, wrk -t${wrk.threads} -c${wrk.connections} -d${wrk.seconds}s --latency, one run each:`,
      renderWrkTable(rows),
      renderTargets(rows, 'edge', 'nginx static, 1 worker'),
      renderTargets(rows, 'edge', 'nginx static, 2 workers'),
      '',
      renderViewers(viewers),
      '',
    ].join('\n'),
  );
  return viewers.failures === 0 ? 0 : 1;
}

runBench(main, cleanup);
