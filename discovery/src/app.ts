import type { Logger } from '../../service-kit/src/logger.js';
import { DiscoveryMetrics } from './discovery-metrics.js';
import { ManifestWatcher } from './manifest-watcher.js';
import { MeteredReporter } from './metered-reporter.js';
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
  metrics: DiscoveryMetrics;
  /** Starts watching; resolves once existing manifests were scanned. */
  start(): Promise<void>;
  /** Stops watching, then withdraws every live stream. */
  stop(): Promise<void>;
}

/** Wires watcher → tracker → outbox → reporter; the reporter is handed in so tests can fake it. */
export function createDiscovery(settings: DiscoverySettings, { reporter, logger }: DiscoveryDeps): Discovery {
  // Its sources are read at each scrape, once the tracker and outbox below exist.
  const metrics: DiscoveryMetrics = new DiscoveryMetrics({
    liveStreams: () => tracker.liveStreams().length,
    apiReachable: () => outbox.apiReachable,
  });
  const outbox: ReportOutbox = new ReportOutbox({
    reporter: new MeteredReporter(reporter, metrics),
    backoff: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs },
    logger,
  });
  const tracker: StreamTracker = new StreamTracker({
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
    metrics,
    start: () => watcher.start(),
    async stop() {
      await watcher.close();
      await tracker.stop();
    },
  };
}
