import { createLogger } from '../../service-kit/src/logger.js';
import { withSecretFiles } from '../../service-kit/src/secret-files.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { buildApp } from './app.js';
import { readEdgeCacheSettings, type EdgeCacheSettings } from './cache-settings.js';
import { readEdgeSettings, type EdgeSettings } from './settings.js';

const logger = createLogger('edge');

let settings: EdgeSettings;
let cacheSettings: EdgeCacheSettings;
try {
  settings = readEdgeSettings(withSecretFiles(process.env));
  cacheSettings = readEdgeCacheSettings(process.env);
} catch (error) {
  logger.fatal({ err: error }, 'invalid settings');
  process.exit(1);
}

const app = await buildApp({ settings, cacheSettings, logger });
// Fastify's close stops accepting, lets in-flight requests finish, then closes the origin
// connections and the API client (onClose hooks).
onShutdownSignal(logger, () => app.close(), { timeoutMs: settings.shutdownTimeoutMs });

try {
  await app.listen({ port: settings.port, host: settings.host });
  logger.info(
    {
      apiUrl: settings.apiUrl,
      routeCacheMs: settings.routeCacheMs,
      routeStaleMs: settings.routeStaleMs,
      cacheMaxBytes: cacheSettings.maxBytes,
      signedPlayback: settings.playbackSigningKey !== undefined,
    },
    'edge ready',
  );
} catch (error) {
  logger.fatal({ err: error }, 'cannot listen');
  process.exit(1);
}
