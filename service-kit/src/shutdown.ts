import type { Logger } from './logger.js';

export interface ShutdownOptions {
  /** Longest `stop` may take before the process exits anyway. */
  timeoutMs?: number;
  /**
   * Run on SIGTERM before `stop` (an orchestrator's or a load balancer's "go away"): stop taking
   * new work and let the work under way end. It bounds its own time. SIGINT (Ctrl-C) skips it.
   */
  drain?: () => Promise<void>;
}

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits; SIGTERM runs `drain` first when there is one.
 * A second signal while draining stops at once; a second signal while stopping exits at once, so
 * an operator pressing Ctrl-C twice is never stuck.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, { timeoutMs = 10_000, drain }: ShutdownOptions = {}): void {
  let state: 'running' | 'draining' | 'stopping' = 'running';

  const stopNow = () => {
    state = 'stopping';
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const handle = (signal: NodeJS.Signals) => {
    if (state === 'stopping') {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    if (state === 'draining') {
      logger.warn({ signal }, 'second signal while draining: stopping now');
      stopNow();
      return;
    }
    if (signal === 'SIGTERM' && drain) {
      state = 'draining';
      logger.info({ signal }, 'draining');
      drain().then(
        () => {
          if (state === 'draining') stopNow();
        },
        (error: unknown) => {
          logger.error({ err: error }, 'drain failed: stopping now');
          if (state === 'draining') stopNow();
        },
      );
      return;
    }
    logger.info({ signal }, 'shutting down');
    stopNow();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
