/**
 * Starts the platform around an origin that is not ours (nginx-rtmp): a private redis-server, the
 * API, then the foreign origin (which may call the API's `/authorize`), then discovery watching
 * the origin's HLS folder and the edge, all from the build (`npm run build`) on free ports.
 * platform-harness.ts does the same with our own origin.
 */
import { freePort } from '../test-support/free-port.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';
import { waitFor } from '../test-support/wait-for.js';
import { healthy, startService, stopService, type ServiceProcess } from './service-process.js';

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
  apiUrl: string;
  edgeUrl: string;
  origin: O;
  redis: RedisServer;
  logs(service: SidecarService): string;
  /** Stops edge, discovery, the origin, the API and redis, in that order. */
  stop(): Promise<void>;
}

/**
 * `startOrigin` gets the API's URL (for nginx-rtmp's `on_publish`) and returns the running origin;
 * `extraEnv` overrides the services' settings (e.g. ALLOWED_STREAMS).
 */
export async function startForeignOriginPlatform<O extends ForeignOrigin>(
  startOrigin: (apiUrl: string) => Promise<O>,
  extraEnv: Record<string, string> = {},
): Promise<ForeignOriginPlatform<O>> {
  const redis = await startRedisServer();
  const [apiPort, edgePort] = await Promise.all([freePort(), freePort()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
    API_URL: apiUrl,
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
  };
  try {
    services.set('api', startService('api', env));
    await waitFor('api health', () => healthy(`${apiUrl}/health`));
    origin = await startOrigin(apiUrl);
    services.set('discovery', startService('discovery', { ...env, HLS_PATH: origin.hlsPath, ORIGIN_HOST: origin.httpHost }));
    services.set('edge', startService('edge', env));
    await waitFor('edge health', () => healthy(`http://127.0.0.1:${edgePort}/health`));
    // Discovery has no health endpoint: it logs once its watcher is ready.
    await waitFor('discovery watching', () => services.get('discovery')!.output.includes('discovery started'));
  } catch (error) {
    const logs = [...services].map(([name, s]) => `--- ${name}\n${s.output.slice(-2000)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return {
    apiUrl,
    edgeUrl: `http://127.0.0.1:${edgePort}`,
    origin,
    redis,
    logs: (name) => services.get(name)?.output ?? '',
    stop,
  };
}
