/**
 * Starts the whole platform as separate processes from the build (`npm run build`), on free ports,
 * with a private redis-server and HLS folder, the way `npm start` runs it. It returns once every
 * service is ready: the API and the edge answer `/health`, the origin answers `/ready` (RTMP
 * listens and the API accepted its heartbeat), discovery wrote its ready file (initial scan done).
 * One service can be stopped (gracefully or killed) and started again, for outage tests.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InternalApiClient } from '../internal-api/src/internal-api-client.js';
import { freePort } from '../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../test-support/internal-token.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import {
  answersOk,
  logEntriesOf,
  startService,
  stopService,
  waitUntilReady,
  type LogEntry,
  type ServiceName,
  type ServiceProcess,
} from './service-process.js';

export type { LogEntry, ServiceName };

export interface Platform {
  /** The public listener: /v1, /docs, /health. */
  apiUrl: string;
  /** The internal listener the services call (with `internalToken`). */
  internalApiUrl: string;
  internalToken: string;
  /** The services' own client of the internal listener, for what they would ask (closed by stop()). */
  internalApi: InternalApiClient;
  edgeUrl: string;
  originUrl: string;
  /** Discovery's /health, /ready and /metrics. */
  discoveryUrl: string;
  rtmpUrl: string;
  /** The origin's SRT listener (UDP, 127.0.0.1). */
  srtPort: number;
  hlsPath: string;
  /** The origin's RECORDINGS_PATH (beside HLS_PATH, so recordings hard-link the live segments). */
  recordingsPath: string;
  redis: RedisServer;
  /** Everything the service printed, over all its runs. */
  logs(service: ServiceName): string;
  /** The same as parsed log entries, for a test to pick the lines that explain a failure. */
  logEntries(service: ServiceName): LogEntry[];
  /** The process id of the service's current run (for its memory). */
  pid(service: ServiceName): number | undefined;
  /**
   * Stops one service: SIGINT (its graceful stop; SIGKILL after 5 s) or SIGKILL (a crash).
   * Resolves once the process has exited.
   */
  stopService(service: ServiceName, signal?: 'SIGINT' | 'SIGKILL'): Promise<void>;
  /**
   * Sends a signal (SIGTERM: the origin drains) and returns at once with the exit to come: the
   * process's exit code, or the signal that ended it.
   */
  sendSignal(service: ServiceName, signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
  /** Starts a stopped service again with the same settings and ports; resolves once it is ready. */
  startService(service: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `extraEnv` goes to every service; `serviceEnv` adds settings for one service only (e.g. a
 * setting the API and the origin both read, set differently on each).
 */
export async function startPlatform(
  extraEnv: Record<string, string> = {},
  serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {},
): Promise<Platform> {
  const redis = await startRedisServer();
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-platform-'));
  const hlsPath = path.join(runDir, 'hls');
  await mkdir(hlsPath);
  const recordingsPath = path.join(runDir, 'recordings');
  const discoveryReadyFile = path.join(runDir, 'discovery.ready');
  const [apiPort, internalApiPort, originPort, rtmpPort, edgePort, discoveryPort, srtPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
    API_INTERNAL_PORT: String(internalApiPort),
    API_INTERNAL_HOST: '127.0.0.1',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    API_URL: `http://127.0.0.1:${internalApiPort}`,
    ORIGIN_HTTP_PORT: String(originPort),
    ORIGIN_HTTP_HOST: '127.0.0.1',
    RTMP_PORT: String(rtmpPort),
    RTMP_HOST: '127.0.0.1',
    SRT_PORT: String(srtPort),
    SRT_HOST: '127.0.0.1',
    ORIGIN_HOST: `127.0.0.1:${originPort}`,
    EDGE_PORT: String(edgePort),
    EDGE_HOST: '127.0.0.1',
    // Playback URLs the API hands out (and the dashboard's player uses) name this edge.
    PUBLIC_PLAYBACK_URL: `http://127.0.0.1:${edgePort}`,
    // The origin's own WebSocket ingest URL, given to the API too: the dashboard's policy lets it
    // connect there (the go-live section), as npm start sets both.
    INGEST_WEBSOCKET_URL: `ws://localhost:${originPort}/ingest/ws?stream_key={stream_key}`,
    HLS_PATH: hlsPath,
    RECORDINGS_PATH: recordingsPath,
    DISCOVERY_READY_FILE: discoveryReadyFile,
    DISCOVERY_HTTP_PORT: String(discoveryPort),
    ALLOWED_STREAMS: '*',
    ...extraEnv,
  };
  const services = new Map<ServiceName, ServiceProcess>();
  /** Output of the earlier runs of a restarted service. */
  const pastOutput = new Map<ServiceName, string>();
  const start = (name: ServiceName) => {
    const service = startService(name, { ...env, ...serviceEnv[name] });
    services.set(name, service);
    return service;
  };
  const readiness: Record<ServiceName, () => Promise<boolean> | boolean> = {
    api: () => answersOk(`${platform.apiUrl}/health`),
    origin: () => answersOk(`${platform.originUrl}/ready`),
    discovery: () => existsSync(discoveryReadyFile),
    edge: () => answersOk(`${platform.edgeUrl}/health`),
  };
  const platform: Platform = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    internalApiUrl: `http://127.0.0.1:${internalApiPort}`,
    internalToken: TEST_INTERNAL_TOKEN,
    internalApi: new InternalApiClient({ apiUrl: `http://127.0.0.1:${internalApiPort}`, token: TEST_INTERNAL_TOKEN, timeoutMs: 10_000, connections: 4 }),
    edgeUrl: `http://127.0.0.1:${edgePort}`,
    originUrl: `http://127.0.0.1:${originPort}`,
    discoveryUrl: `http://127.0.0.1:${discoveryPort}`,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/stream`,
    srtPort,
    hlsPath,
    recordingsPath,
    redis,
    logs: (name) => (pastOutput.get(name) ?? '') + (services.get(name)?.output ?? ''),
    logEntries: (name) => logEntriesOf(platform.logs(name)),
    pid: (name) => services.get(name)?.child.pid,
    stopService: async (name, signal = 'SIGINT') => {
      const service = services.get(name);
      if (!service) throw new Error(`${name} was never started`);
      const { child } = service;
      if (signal === 'SIGINT' || child.exitCode !== null || child.signalCode !== null) {
        await stopService(service);
        return;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    sendSignal: (name, signal) => {
      const child = services.get(name)?.child;
      if (!child) throw new Error(`${name} was never started`);
      const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode);
        else child.once('exit', (code, killedBy) => resolve(code ?? killedBy));
      });
      child.kill(signal);
      return Promise.resolve(exited);
    },
    startService: async (name) => {
      const previous = services.get(name);
      if (previous && previous.child.exitCode === null && previous.child.signalCode === null) {
        throw new Error(`${name} is still running`);
      }
      pastOutput.set(name, platform.logs(name));
      await waitUntilReady(name, start(name), readiness[name]);
    },
    stop: async () => {
      await platform.internalApi.close();
      for (const name of ['edge', 'discovery', 'origin', 'api'] as const) {
        const service = services.get(name);
        if (service) await stopService(service);
      }
      await redis.remove();
      await rm(runDir, { recursive: true, force: true });
    },
  };
  try {
    const api = start('api');
    await waitUntilReady('api', api, readiness.api);
    // The others only need the API: they start together.
    const origin = start('origin');
    const discovery = start('discovery');
    const edge = start('edge');
    await Promise.all([
      waitUntilReady('origin', origin, readiness.origin),
      waitUntilReady('discovery', discovery, readiness.discovery),
      waitUntilReady('edge', edge, readiness.edge),
    ]);
  } catch (error) {
    const logs = [...services].map(([name, s]) => `--- ${name}\n${s.output.slice(-2000)}`).join('\n');
    await platform.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return platform;
}
