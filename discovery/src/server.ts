import { SettingError } from '../../service-kit/src/env-settings.js';
import { createLogger } from '../../service-kit/src/logger.js';
import { withSecretFiles } from '../../service-kit/src/secret-files.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import { ApiReporter } from './api-reporter.js';
import { createDiscovery } from './app.js';
import { buildDiscoveryHttp } from './http-app.js';
import { ReadyFile } from './ready-file.js';
import { readDiscoverySettings, type DiscoverySettings } from './settings.js';

const logger = createLogger('discovery');

let settings: DiscoverySettings;
try {
  settings = readDiscoverySettings(withSecretFiles(process.env));
} catch (error) {
  if (!(error instanceof SettingError)) throw error;
  logger.fatal({ err: error }, error.message);
  process.exit(1);
}

const readyFile = ReadyFile.fromEnv();
await readyFile?.clear();

const api = new InternalApiClient({
  apiUrl: settings.apiUrl,
  token: settings.internalToken,
  timeoutMs: settings.apiTimeoutMs,
  connections: settings.apiConnections,
});
const discovery = createDiscovery(settings, { reporter: new ApiReporter(api, settings.originHost), logger });
let ready = false;
const http = buildDiscoveryHttp({ metrics: discovery.metrics, ready: () => ready });

// Withdrawing waits for in-flight requests, then sends one DELETE per live stream: two request
// timeouts at most, plus margin.
onShutdownSignal(
  logger,
  async () => {
    ready = false;
    await readyFile?.clear();
    await discovery.stop();
    await api.close();
    await http.close();
  },
  { timeoutMs: 2 * settings.apiTimeoutMs + 5_000 },
);

try {
  await http.listen({ host: settings.httpHost, port: settings.httpPort });
} catch (error) {
  logger.fatal({ err: error, host: settings.httpHost, port: settings.httpPort }, 'cannot listen (DISCOVERY_HTTP_HOST, DISCOVERY_HTTP_PORT)');
  process.exit(1);
}
await discovery.start();
ready = true;
await readyFile?.markReady();
logger.info(
  {
    apiUrl: settings.apiUrl,
    originHost: settings.originHost,
    heartbeatMs: settings.heartbeatMs,
    staleTargetDurations: settings.staleTargetDurations,
    http: `${settings.httpHost}:${settings.httpPort}`,
  },
  'discovery started',
);
