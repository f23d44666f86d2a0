import { createLogger } from '../../service-kit/src/logger.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { buildApp } from './app.js';
import { readEdgeSettings, type EdgeSettings } from './settings.js';

const logger = createLogger('edge');

let settings: EdgeSettings;
try {
  settings = readEdgeSettings(process.env);
} catch (error) {
  logger.fatal({ err: error }, 'invalid settings');
  process.exit(1);
}

const app = await buildApp({ settings, logger });
// Fastify's close stops accepting, lets in-flight requests finish, then closes the origin
// connections and the API client (onClose hooks).
onShutdownSignal(logger, () => app.close(), settings.shutdownTimeoutMs);

try {
  await app.listen({ port: settings.port, host: settings.host });
  logger.info(
    { apiUrl: settings.apiUrl, routeCacheMs: settings.routeCacheMs, routeStaleMs: settings.routeStaleMs },
    'edge ready',
  );
} catch (error) {
  logger.fatal({ err: error }, 'cannot listen');
  process.exit(1);
}
