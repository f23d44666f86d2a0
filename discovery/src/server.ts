import { SettingError } from '../../service-kit/src/env-settings.js';
import { createLogger } from '../../service-kit/src/logger.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import { ApiReporter } from './api-reporter.js';
import { createDiscovery } from './app.js';
import { ReadyFile } from './ready-file.js';
import { readDiscoverySettings, type DiscoverySettings } from './settings.js';

const logger = createLogger('discovery');

let settings: DiscoverySettings;
try {
  settings = readDiscoverySettings();
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

// Withdrawing waits for in-flight requests, then sends one DELETE per live stream: two request
// timeouts at most, plus margin.
onShutdownSignal(
  logger,
  async () => {
    await readyFile?.clear();
    await discovery.stop();
    await api.close();
  },
  { timeoutMs: 2 * settings.apiTimeoutMs + 5_000 },
);

await discovery.start();
await readyFile?.markReady();
logger.info(
  {
    apiUrl: settings.apiUrl,
    originHost: settings.originHost,
    heartbeatMs: settings.heartbeatMs,
    staleTargetDurations: settings.staleTargetDurations,
  },
  'discovery started',
);
