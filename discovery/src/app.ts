import type { Logger } from '../../service-kit/src/logger.js';
import { ManifestWatcher } from './manifest-watcher.js';
import { ReportOutbox } from './report-outbox.js';
import type { DiscoverySettings } from './settings.js';
import { StreamTracker } from './stream-tracker.js';
import type { StreamReporter } from './stream-reporter.js';

export interface DiscoveryDeps {
  reporter: StreamReporter;
  logger: Logger;
}

export interface Discovery {
  tracker: StreamTracker;
  /** Starts watching; resolves once existing manifests were scanned. */
  start(): Promise<void>;
  /** Stops watching, then withdraws every live stream. */
  stop(): Promise<void>;
}

/** Wires watcher → tracker → outbox → reporter; the reporter is handed in so tests can fake it. */
export function createDiscovery(settings: DiscoverySettings, { reporter, logger }: DiscoveryDeps): Discovery {
  const outbox = new ReportOutbox({
    reporter,
    backoff: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs },
    logger,
  });
  const tracker = new StreamTracker({
    manifestName: settings.manifestName,
    timing: {
      heartbeatMs: settings.heartbeatMs,
      staleTargetDurations: settings.staleTargetDurations,
      endedGraceSeconds: settings.endedGraceSeconds,
    },
    outbox,
    logger,
  });
  const watcher = new ManifestWatcher({
    hlsPath: settings.hlsPath,
    manifestName: settings.manifestName,
    listener: tracker,
    logger,
  });
  return {
    tracker,
    start: () => watcher.start(),
    async stop() {
      await watcher.close();
      await tracker.stop();
    },
  };
}
