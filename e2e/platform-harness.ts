/**
 * Starts the whole platform as separate processes from the build (`npm run build`), on free ports,
 * with a private redis-server and HLS folder, the way `npm start` runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test-support/free-port.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { waitFor } from '../test-support/wait-for.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type ServiceName = 'api' | 'origin' | 'discovery' | 'edge';

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

interface Service {
  child: ChildProcess;
  output: string;
}

function startService(name: ServiceName, env: Record<string, string>): Service {
  const entry = path.join(repoRoot, 'dist', name, 'src', 'server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: Service = { child, output: '' };
  const collect = (chunk: Buffer) => {
    service.output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return service;
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response?.ok ?? false;
}

async function stopService(service: Service): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
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
  const services = new Map<ServiceName, Service>();
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
