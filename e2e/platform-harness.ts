/**
 * Starts the whole platform as separate processes from the build (`npm run build`), on free ports,
 * with a private redis-server and HLS folder, the way `npm start` runs it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { waitFor } from '../test-support/wait-for.js';
import { healthy, startService, stopService, type ServiceName, type ServiceProcess } from './service-process.js';

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
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-hls-'));
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
      await rm(hlsPath, { recursive: true, force: true });
    },
  };
  try {
    services.set('api', startService('api', env));
    await waitFor('api health', () => healthy(`${platform.apiUrl}/health`));
    services.set('origin', startService('origin', env));
    await waitFor('origin health', () => healthy(`${platform.originUrl}/health`));
    services.set('discovery', startService('discovery', env));
    services.set('edge', startService('edge', env));
    await waitFor('edge health', () => healthy(`${platform.edgeUrl}/health`));
  } catch (error) {
    const logs = [...services].map(([name, s]) => `--- ${name}\n${s.output.slice(-2000)}`).join('\n');
    await platform.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return platform;
}
