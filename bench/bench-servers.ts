/**
 * The servers under test, behind one interface: our origin (from the build, with the private
 * redis-server and API it needs to authorize publishers) and nginx-rtmp with the same HLS layout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { startNginxRtmp } from '../test-support/nginx-rtmp.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { repoRoot } from '../test-support/repo-root.js';
import { waitFor } from '../test-support/wait-for.js';

export type ServerKind = 'ours' | 'nginx';

/** The origin's young generation cap, as scripts/platform.sh and docker-compose.yml start it. */
export const ORIGIN_SEMI_SPACE_FLAG = '--max-semi-space-size=4';


export interface OriginStats {
  liveStreams: number;
  segmentDelay: { segments: number; medianMs: number | null; maxMs: number | null };
}

export interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** prom-client's event-loop monitor (collectDefaultMetrics) samples with a timer of this period. */
const EVENT_LOOP_TIMER_MS = 10;

/** p99 and max event-loop delay from prom-client's gauges, beyond the timer's own period. */
export function eventLoopDelayOf(metricsText: string): EventLoopDelay | undefined {
  const seconds = (name: string) => {
    const match = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(metricsText);
    return match ? Number(match[1]) : undefined;
  };
  const p99 = seconds('nodejs_eventloop_lag_p99_seconds');
  const max = seconds('nodejs_eventloop_lag_max_seconds');
  if (p99 === undefined || max === undefined) return undefined;
  return { p99Ms: Math.max(0, p99 * 1000 - EVENT_LOOP_TIMER_MS), maxMs: Math.max(0, max * 1000 - EVENT_LOOP_TIMER_MS) };
}

export interface ServerUnderTest {
  kind: ServerKind;
  rtmpPort: number;
  /** Our origin's SRT listener (UDP); undefined for nginx. */
  srtPort?: number;
  /** Wall-clock time the server process was spawned (ms since the epoch). */
  startedAt: number;
  /** Processes whose CPU and memory count as the server's. */
  pids(): number[];
  /** Our origin's own `GET /stats`; undefined for nginx. */
  stats(): Promise<OriginStats | undefined>;
  /** Our origin's event-loop delay since the previous call (undefined for nginx, or at a failed scrape). */
  eventLoopDelay(): Promise<EventLoopDelay | undefined>;
  stop(): Promise<void>;
}

/** Segment length and window both servers are configured with (nginx: hls_fragment, hls_playlist_length). */
export const HLS_FRAGMENT_SECONDS = 2;
export const HLS_PLAYLIST_SECONDS = 60;

interface NodeService {
  child: ChildProcess;
  stop(): Promise<void>;
}

function startNodeService(
  name: 'api' | 'origin',
  env: Record<string, string>,
  logDir: string,
  nodeArgs: string[] = [],
): NodeService {
  const entry = path.join(repoRoot, 'dist', name, 'src', 'server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  // Logs go to a file: a pipe would make this process copy them under load.
  const log = openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT: stop now (SIGTERM would make the origin drain, waiting for its publishers).
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response?.ok ?? false;
}

/** Where the origin reaches the API's internal listener, and the INTERNAL_TOKEN it sends. */
export interface InternalApi {
  url: string;
  token: string;
}

/** The redis-server + API our origin asks before packaging a publish; shared by all rounds. */
export interface OriginBackend {
  /** The public listener (/v1). */
  apiUrl: string;
  internal: InternalApi;
  stop(): Promise<void>;
}

/** `apiEnv` adds to or replaces the API's settings (by default any stream name may publish). */
export async function startOriginBackend(logDir: string, apiEnv: Record<string, string> = {}): Promise<OriginBackend> {
  await mkdir(logDir, { recursive: true });
  const redis: RedisServer = await startRedisServer();
  const [apiPort, internalPort] = await Promise.all([freePort(), freePort()]);
  const internal: InternalApi = { url: `http://127.0.0.1:${internalPort}`, token: randomBytes(24).toString('hex') };
  let api: NodeService | undefined;
  const stop = async () => {
    await api?.stop();
    await redis.remove();
  };
  try {
    api = startNodeService(
      'api',
      {
        REDIS_URL: redis.url,
        API_PORT: String(apiPort),
        API_HOST: '127.0.0.1',
        API_INTERNAL_PORT: String(internalPort),
        API_INTERNAL_HOST: '127.0.0.1',
        INTERNAL_TOKEN: internal.token,
        ALLOWED_STREAMS: '*',
        LOG_LEVEL: 'warn',
        ...apiEnv,
      },
      logDir,
    );
    await waitFor('api health', () => healthy(`http://127.0.0.1:${apiPort}/health`), { timeoutMs: 15_000 });
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message} (see ${path.join(logDir, 'api.log')})`);
  }
  return { apiUrl: `http://127.0.0.1:${apiPort}`, internal, stop };
}

export async function startOurOrigin(options: {
  api: InternalApi;
  hlsPath: string;
  logDir: string;
  /** Folder for a V8 CPU profile (`node --cpu-prof`), written when the origin exits. */
  cpuProfileDir?: string;
  /** Settings added to or replacing the ones below. */
  env?: Record<string, string>;
  /** More node flags for the origin. */
  nodeArgs?: string[];
}): Promise<ServerUnderTest> {
  const [rtmpPort, httpPort, srtPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // As the origin is run everywhere (scripts/platform.sh, docker-compose.yml): see "Origin memory" in docs/scaling.md.
  const nodeArgs = [ORIGIN_SEMI_SPACE_FLAG];
  if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir);
  nodeArgs.push(...(options.nodeArgs ?? []));
  const startedAt = Date.now();
  const origin = startNodeService(
    'origin',
    {
      API_URL: options.api.url,
      INTERNAL_TOKEN: options.api.token,
      RTMP_PORT: String(rtmpPort),
      RTMP_HOST: '127.0.0.1',
      SRT_PORT: String(srtPort),
      SRT_HOST: '127.0.0.1',
      ORIGIN_HTTP_PORT: String(httpPort),
      ORIGIN_HTTP_HOST: '127.0.0.1',
      HLS_PATH: options.hlsPath,
      HLS_SEGMENT_SECONDS: String(HLS_FRAGMENT_SECONDS),
      HLS_PLAYLIST_LENGTH_SECONDS: String(HLS_PLAYLIST_SECONDS),
      // The restream bench's receivers listen on 127.0.0.1, which the origin pushes to only with this.
      ALLOW_PRIVATE_TARGETS: '1',
      // Like for like with nginx-rtmp, which makes MPEG-TS HLS only; HLS_LOW_LATENCY=1 measures
      // what LL-HLS and DASH packaging add.
      HLS_LOW_LATENCY: process.env.HLS_LOW_LATENCY ?? '0',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    options.logDir,
    nodeArgs,
  );
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  try {
    await waitFor('origin ready', () => healthy(`${httpUrl}/ready`), { timeoutMs: 60_000 });
  } catch (error) {
    await origin.stop();
    throw new Error(`${(error as Error).message} (see ${path.join(options.logDir, 'origin.log')})`);
  }
  const pid = origin.child.pid ?? 0;
  return {
    kind: 'ours',
    rtmpPort,
    srtPort,
    startedAt,
    pids: () => (origin.child.exitCode === null ? [pid] : []),
    stats: async () => {
      const response = await fetch(`${httpUrl}/stats`).catch(() => undefined);
      return response?.ok ? ((await response.json()) as OriginStats) : undefined;
    },
    eventLoopDelay: async () => {
      // prom-client resets the histogram behind these gauges at every scrape.
      const response = await fetch(`${httpUrl}/metrics`).catch(() => undefined);
      return response?.ok ? eventLoopDelayOf(await response.text()) : undefined;
    },
    stop: () => origin.stop(),
  };
}

export async function startNginxOrigin(hlsPath: string): Promise<ServerUnderTest> {
  const startedAt = Date.now();
  const nginx = await startNginxRtmp({
    hlsPath,
    hlsFragmentSeconds: HLS_FRAGMENT_SECONDS,
    playlistLengthSeconds: HLS_PLAYLIST_SECONDS,
  });
  return {
    kind: 'nginx',
    rtmpPort: Number(new URL(nginx.rtmpUrl).port),
    startedAt,
    // Master, worker and the HLS cleanup (cache manager) process.
    pids: () => nginx.pids(),
    stats: async () => undefined,
    eventLoopDelay: async () => undefined,
    stop: () => nginx.stop(),
  };
}
