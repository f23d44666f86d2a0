/**
 * `npm run bench:latency`: how far behind live a viewer of our platform is, with standard HLS and
 * with LL-HLS, and what LL-HLS viewers cost the origin.
 *
 * One live stream: ffmpeg plays a test pattern in real time (`-re`, 2 s GOP, encoded ahead with
 * x264 zerolatency: test-support/test-pattern-publisher.ts) into the whole platform with
 * HLS_LOW_LATENCY on, started as the end-to-end tests start it.
 * Discovery reports a counting proxy in this process as the origin, so every request the edge
 * makes is counted on the origin's side.
 *
 * 1. Latency: hls.js pages in headless Chromium, side by side in one run, play through the edge:
 *    `index.m3u8` (MPEG-TS, hls.js defaults), `ll.m3u8` with hls.js defaults (lowLatencyMode is
 *    on by default) and `ll.m3u8` allowed to play up to 1.5x to catch up (maxLiveSyncPlaybackRate).
 *    After a warm-up, each is sampled every 0.5 s: wall clock minus hls.playingDate, the
 *    PROGRAM-DATE-TIME at the playhead. The origin ties PROGRAM-DATE-TIME to the wall clock at
 *    the stream's first media and advances it by the media timestamps since; ffmpeg -re keeps the
 *    media time on the wall clock, so the figure is the time from a frame reaching the origin to
 *    its showing in the player. It leaves out what comes before the origin: the encoder's own
 *    delay (none here: the pattern is encoded ahead) and the first-mile network (loopback here);
 *    a publisher that falls behind real time shows up as extra latency, never as less.
 * 2. Origin requests per part: simulated LL-HLS viewers (blocking playlist + hinted part, as
 *    hls.js does) at each viewer count; every part a viewer got should cost the origin 1 request.
 *
 * Everything shares this machine's cores (ffmpeg, Chromium, the platform, this process): figures
 * are comparable within one run, not across machines.
 */
import os from 'node:os';
import type { Browser } from 'playwright-core';
import { startPlatform, type Platform } from '../e2e/platform-harness.js';
import { launchChromium } from '../test-support/chromium.js';
import { openHlsPlayer, waitForLivePlaylists, type HlsPlayer } from '../test-support/hls-player.js';
import { publishTestPattern } from '../test-support/test-pattern-publisher.js';
import { waitFor } from '../test-support/wait-for.js';
import { BenchOptionError, counts, flagValues, seconds } from './bench-options.js';
import { Cleanup, log, raiseBenchPriority, runBench, sleep, stopPublisher } from './bench-process.js';
import { startCountingProxy, type CountingProxy } from './edge-counting-proxy.js';
import { renderLatency, renderPartRounds, renderTargets, type PartRound, type PlayerLatency } from './latency-report.js';
import { runLowLatencyViewers } from './llhls-viewers.js';

const STREAM = 'latency';
const SAMPLE_INTERVAL_MS = 500;
/** Simulated viewers at once: 200 viewers are 400 connections to the edge from this process. */
const MAX_VIEWERS = 500;

const USAGE = `usage: npm run bench:latency -- [options]

  --warmup 15          seconds from the players' first frame to the latency window (BENCH_WARMUP_SECONDS)
  --window 30          seconds of latency samples (BENCH_WINDOW_SECONDS)
  --viewers 1,50,200   simulated LL-HLS viewer counts, one round each (BENCH_VIEWERS; max ${MAX_VIEWERS})
  --viewer-seconds 15  seconds of each viewer round (BENCH_VIEWER_SECONDS)
  --help`;

interface Options {
  warmupSeconds: number;
  windowSeconds: number;
  viewers: number[];
  viewerSeconds: number;
  help: boolean;
}

function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  const flags = flagValues(argv);
  const known = new Set(['warmup', 'window', 'viewers', 'viewer-seconds', 'help']);
  for (const name of flags.keys()) if (!known.has(name)) throw new BenchOptionError(`--${name}`, name, 'a known flag (see --help)');
  const pick = (flag: string, variable: string, fallback: string) => flags.get(flag) ?? env[variable] ?? fallback;
  return {
    warmupSeconds: seconds('--warmup (BENCH_WARMUP_SECONDS)', pick('warmup', 'BENCH_WARMUP_SECONDS', '15'), 0, 300),
    windowSeconds: seconds('--window (BENCH_WINDOW_SECONDS)', pick('window', 'BENCH_WINDOW_SECONDS', '30'), 5, 600),
    viewers: counts('--viewers (BENCH_VIEWERS)', pick('viewers', 'BENCH_VIEWERS', '1,50,200'), MAX_VIEWERS),
    viewerSeconds: seconds('--viewer-seconds (BENCH_VIEWER_SECONDS)', pick('viewer-seconds', 'BENCH_VIEWER_SECONDS', '15'), 5, 600),
    help: flags.has('help'),
  };
}

/** The players of one run: the label in the report, the playlist and hls.js's config. */
const PLAYERS = [
  { label: 'standard HLS (index.m3u8)', file: 'index.m3u8', config: {} },
  { label: 'LL-HLS (ll.m3u8)', file: 'll.m3u8', config: { lowLatencyMode: true } },
  { label: 'LL-HLS, catch-up 1.5x', file: 'll.m3u8', config: { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 } },
] as const;

const cleanup = new Cleanup();

async function measureLatency(browser: Browser, platform: Platform, options: Options): Promise<PlayerLatency[]> {
  const players: HlsPlayer[] = [];
  for (const { file, config } of PLAYERS) {
    const player = await openHlsPlayer(browser, `${platform.edgeUrl}/${STREAM}/${file}`, config);
    cleanup.add(`player ${file}`, () => player.close());
    players.push(player);
  }
  await waitFor('every player to start playing', async () => {
    const snapshots = await Promise.all(players.map((player) => player.snapshot()));
    const fatal = snapshots.flatMap((snapshot) => snapshot.errors).find((error) => error.fatal);
    if (fatal) throw new Error(`hls.js fatal error: ${JSON.stringify(fatal)}`);
    return snapshots.every((snapshot) => snapshot.playingAt !== null);
  }, { timeoutMs: 60_000, intervalMs: 200 });
  log(`players started; warm-up ${options.warmupSeconds} s, then ${options.windowSeconds} s of samples`);
  await sleep(options.warmupSeconds * 1000);

  const results: PlayerLatency[] = PLAYERS.map(({ label }) => ({ label, behindSeconds: [], hlsLatencySeconds: [], targetLatencySeconds: null, stalls: 0, parts: 0 }));
  const partsBefore = (await Promise.all(players.map((player) => player.snapshot()))).map((snapshot) => snapshot.parts);
  const endAt = Date.now() + options.windowSeconds * 1000;
  while (Date.now() < endAt) {
    const snapshots = await Promise.all(players.map((player) => player.snapshot()));
    snapshots.forEach((snapshot, i) => {
      const result = results[i]!;
      if (snapshot.playingDate !== null) result.behindSeconds.push((snapshot.now - snapshot.playingDate) / 1000);
      if (snapshot.latency !== null) result.hlsLatencySeconds.push(snapshot.latency);
      result.targetLatencySeconds = snapshot.targetLatency;
      result.stalls = snapshot.stalls.length;
      result.parts = snapshot.parts - partsBefore[i]!;
      if (snapshot.errors.some((error) => error.fatal)) throw new Error(`${result.label}: hls.js fatal error ${JSON.stringify(snapshot.errors)}`);
    });
    await sleep(SAMPLE_INTERVAL_MS);
  }
  for (const player of players) await player.close();
  return results;
}

/** Origin requests per blocking playlist query and per part, as the counting proxy saw them. */
function originRequests(proxy: CountingProxy, partPaths: Set<string>): Pick<PartRound, 'originRequestsPerPart' | 'originRequestsPerBlockingQuery'> {
  const blockingPrefix = `/${STREAM}/ll.m3u8?`;
  const blocking = [...proxy.counts].filter(([path]) => path.startsWith(blockingPrefix) && path.includes('_HLS_msn=')).map(([, n]) => n);
  return { originRequestsPerPart: [...partPaths].map((path) => proxy.counts.get(path) ?? 0), originRequestsPerBlockingQuery: blocking };
}

async function partRound(platform: Platform, proxy: CountingProxy, viewers: number, viewerSeconds: number): Promise<PartRound> {
  log(`LL-HLS viewers: ${viewers} for ${viewerSeconds} s`);
  proxy.reset();
  const result = await runLowLatencyViewers({ edgeUrl: platform.edgeUrl, stream: STREAM, viewers, seconds: viewerSeconds });
  return {
    viewers,
    seconds: viewerSeconds,
    ...originRequests(proxy, result.partPaths),
    viewerRequests: result.playlistRequests + result.partRequests,
    failures: result.failures,
  };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }
  raiseBenchPriority();
  const proxy = await startCountingProxy();
  cleanup.add('counting proxy', () => proxy.close());
  log('starting the platform (HLS_LOW_LATENCY on)');
  const platform = await startPlatform({ ORIGIN_HOST: proxy.host, HLS_LOW_LATENCY: 'on', LOG_LEVEL: 'warn', HTTP_LOG_LEVEL: 'warn' });
  cleanup.add('platform', () => platform.stop());
  proxy.target = platform.originUrl;
  const publisher = await publishTestPattern(`${platform.rtmpUrl}/${STREAM}`);
  cleanup.add('publisher', () => stopPublisher(publisher));
  await waitForLivePlaylists(platform.edgeUrl, STREAM, { segments: 3 });

  const [load1] = os.loadavg();
  const browser = await launchChromium();
  const closeBrowser = cleanup.add('chromium', () => browser.close());
  const latencies = await measureLatency(browser, platform, options);
  await closeBrowser();

  const rounds: PartRound[] = [];
  for (const viewers of options.viewers) rounds.push(await partRound(platform, proxy, viewers, options.viewerSeconds));

  const [standard, ...lowLatency] = latencies as [PlayerLatency, ...PlayerLatency[]];
  process.stdout.write(
    [
      '',
      `latency benchmark: one live test pattern (640x360 30 fps, 2 s GOP, a clip encoded with x264 zerolatency played with ffmpeg -re), hls.js in headless Chromium through the edge, ${os.cpus().length} cores, load average ${load1?.toFixed(2)} at the start`,
      renderLatency(latencies, options.windowSeconds),
      '',
      renderPartRounds(rounds),
      '',
      renderTargets(standard, lowLatency, rounds),
      '',
    ].join('\n'),
  );
  return rounds.every((round) => round.failures === 0) ? 0 : 1;
}

runBench(main, cleanup);
