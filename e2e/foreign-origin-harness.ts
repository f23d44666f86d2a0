/**
 * Starts the platform around an origin that is not ours (nginx-rtmp): a private redis-server, the
 * API, then the foreign origin (which may call the API's `/authorize`), then discovery watching
 * the origin's HLS folder and the edge, all from the build (`npm run build`) on free ports. It
 * returns once every service is ready (`startOrigin` waits for its own origin).
 * platform-harness.ts does the same with our own origin.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../test-support/internal-token.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { answersOk, startService, stopService, waitUntilReady, type ServiceProcess } from './service-process.js';

export type SidecarService = 'api' | 'discovery' | 'edge';

/** What the platform needs to know about the origin it does not run itself. */
export interface ForeignOrigin {
  /** The folder the origin writes `<stream>/index.m3u8` into: discovery's HLS_PATH. */
  hlsPath: string;
  /** `host:port` of the origin's HTTP server: discovery's ORIGIN_HOST. */
  httpHost: string;
  stop(): Promise<void>;
}

export interface ForeignOriginPlatform<O extends ForeignOrigin> {
  /** The public listener. */
  apiUrl: string;
  /** The internal listener the origin and the services call, with `internalToken`. */
  internalApiUrl: string;
  internalToken: string;
  edgeUrl: string;
  origin: O;
  redis: RedisServer;
  logs(service: SidecarService): string;
  /** Stops edge, discovery, the origin, the API and redis, in that order. */
  stop(): Promise<void>;
}

/**
 * `startOrigin` gets the API's internal URL and token (for nginx-rtmp's `on_publish`) and returns the running origin;
 * `extraEnv` overrides the services' settings (e.g. ALLOWED_STREAMS).
 */
export async function startForeignOriginPlatform<O extends ForeignOrigin>(
  startOrigin: (internal: { url: string; token: string }) => Promise<O>,
  extraEnv: Record<string, string> = {},
): Promise<ForeignOriginPlatform<O>> {
  const redis = await startRedisServer();
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-sidecars-'));
  const discoveryReadyFile = path.join(runDir, 'discovery.ready');
  const [apiPort, internalApiPort, edgePort, discoveryPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const internalApiUrl = `http://127.0.0.1:${internalApiPort}`;
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
    API_INTERNAL_PORT: String(internalApiPort),
    API_INTERNAL_HOST: '127.0.0.1',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    API_URL: internalApiUrl,
    EDGE_PORT: String(edgePort),
    EDGE_HOST: '127.0.0.1',
    ALLOWED_STREAMS: '*',
    ...extraEnv,
  };
  const services = new Map<SidecarService, ServiceProcess>();
  let origin: O | undefined;
  const stop = async () => {
    for (const name of ['edge', 'discovery'] as const) {
      const service = services.get(name);
      if (service) await stopService(service);
    }
    await origin?.stop();
    const api = services.get('api');
    if (api) await stopService(api);
    await redis.remove();
    await rm(runDir, { recursive: true, force: true });
  };
  try {
    const api = startService('api', env);
    services.set('api', api);
    await waitUntilReady('api', api, () => answersOk(`${apiUrl}/health`));
    origin = await startOrigin({ url: internalApiUrl, token: TEST_INTERNAL_TOKEN });
    const discovery = startService('discovery', {
      ...env,
      HLS_PATH: origin.hlsPath,
      ORIGIN_HOST: origin.httpHost,
      DISCOVERY_READY_FILE: discoveryReadyFile,
      DISCOVERY_HTTP_PORT: String(discoveryPort),
    });
    services.set('discovery', discovery);
    const edge = startService('edge', env);
    services.set('edge', edge);
    await Promise.all([
      waitUntilReady('discovery', discovery, () => existsSync(discoveryReadyFile)),
      waitUntilReady('edge', edge, () => answersOk(`http://127.0.0.1:${edgePort}/health`)),
    ]);
  } catch (error) {
    const logs = [...services].map(([name, s]) => `--- ${name}\n${s.output.slice(-2000)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return {
    apiUrl,
    internalApiUrl,
    internalToken: TEST_INTERNAL_TOKEN,
    edgeUrl: `http://127.0.0.1:${edgePort}`,
    origin,
    redis,
    logs: (name) => services.get(name)?.output ?? '',
    stop,
  };
}
