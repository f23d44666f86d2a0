import { createLogger } from '../../service-kit/src/logger.js';
import { withSecretFiles } from '../../service-kit/src/secret-files.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { buildApi } from './app.js';
import { readApiSettings, type ApiSettings } from './settings.js';

const logger = createLogger('api');

function loadSettings(): ApiSettings {
  try {
    return readApiSettings(withSecretFiles(process.env));
  } catch (error) {
    logger.fatal({ err: error }, 'invalid settings');
    process.exit(1);
  }
}

const settings = loadSettings();
const api = buildApi({ ...settings, logger });
// api.close() stops both listeners, waits for in-flight requests, then quits Redis.
onShutdownSignal(logger, () => api.close());

try {
  await api.ready();
  await api.internalApp.listen({ port: settings.internalPort, host: settings.internalHost });
  await api.publicApp.listen({ port: settings.port, host: settings.host });
  // Only the count of open names (a name doubles as a stream key) and whether the secrets are set.
  logger.info(
    {
      routeTtlSeconds: settings.routeTtlSeconds,
      allowedStreams: settings.allowedStreams.length,
      adminTokenSet: settings.adminToken !== undefined,
      internal: `${settings.internalHost}:${settings.internalPort}`,
      playbackSigningKeySet: settings.playbackSigningKey !== undefined,
      viewerIdleSeconds: settings.viewerIdleSeconds,
      publicPlaybackUrl: settings.publicPlaybackUrl,
      allowPrivateTargets: settings.allowPrivateTargets,
      fallbackPath: settings.fallbackPath,
    },
    'api ready',
  );
} catch (error) {
  logger.fatal({ err: error }, 'api failed to start');
  process.exit(1);
}
