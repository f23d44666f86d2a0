/**
 * Starts the whole platform as separate processes from the build (`npm run build`), on free ports,
 * with a private redis-server and HLS folder, the way `npm start` runs it. It returns once every
 * service is ready: the API and the edge answer `/health`, the origin answers `/ready` (RTMP
 * listens and the API accepted its heartbeat), discovery wrote its ready file (initial scan done).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { answersOk, startService, stopService, waitUntilReady, type ServiceName, type ServiceProcess } from './service-process.js';

export type { ServiceName };

export interface Platform {
  apiUrl: string;
  edgeUrl: string;
  originUrl: string;
  rtmpUrl: string;
  hlsPath: string;
  redis: RedisServer;
  logs(service: ServiceName): string;
  stop(): Promise<void>;
}

export async function startPlatform(extraEnv: Record<string, string> = {}): Promise<Platform> {
  const redis = await startRedisServer();
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-platform-'));
  const hlsPath = path.join(runDir, 'hls');
  await mkdir(hlsPath);
  const discoveryReadyFile = path.join(runDir, 'discovery.ready');
  const [apiPort, originPort, rtmpPort, edgePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
    API_URL: `http://127.0.0.1:${apiPort}`,
    ORIGIN_HTTP_PORT: String(originPort),
    ORIGIN_HTTP_HOST: '127.0.0.1',
    RTMP_PORT: String(rtmpPort),
    RTMP_HOST: '127.0.0.1',
    ORIGIN_HOST: `127.0.0.1:${originPort}`,
    EDGE_PORT: String(edgePort),
    EDGE_HOST: '127.0.0.1',
    HLS_PATH: hlsPath,
    DISCOVERY_READY_FILE: discoveryReadyFile,
    ALLOWED_STREAMS: '*',
    ...extraEnv,
  };
  const services = new Map<ServiceName, ServiceProcess>();
  const platform: Platform = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    edgeUrl: `http://127.0.0.1:${edgePort}`,
    originUrl: `http://127.0.0.1:${originPort}`,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/stream`,
    hlsPath,
    redis,
    logs: (name) => services.get(name)?.output ?? '',
    stop: async () => {
      for (const name of ['edge', 'discovery', 'origin', 'api'] as const) {
        const service = services.get(name);
        if (service) await stopService(service);
      }
      await redis.remove();
      await rm(runDir, { recursive: true, force: true });
    },
  };
  try {
    const start = (name: ServiceName) => {
      const service = startService(name, env);
      services.set(name, service);
      return service;
    };
    const api = start('api');
    await waitUntilReady('api', api, () => answersOk(`${platform.apiUrl}/health`));
    // The others only need the API: they start together.
    const origin = start('origin');
    const discovery = start('discovery');
    const edge = start('edge');
    await Promise.all([
      waitUntilReady('origin', origin, () => answersOk(`${platform.originUrl}/ready`)),
      waitUntilReady('discovery', discovery, () => existsSync(discoveryReadyFile)),
      waitUntilReady('edge', edge, () => answersOk(`${platform.edgeUrl}/health`)),
    ]);
  } catch (error) {
    const logs = [...services].map(([name, s]) => `--- ${name}\n${s.output.slice(-2000)}`).join('\n');
    await platform.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return platform;
}
