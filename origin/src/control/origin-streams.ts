import type { Logger } from '../../../service-kit/src/logger.js';
import type { FallbackCache } from '../fallback/index.js';
import type { LiveStreamRegistry } from '../packaging/live-stream-registry.js';
import type { LivePublishes } from './ingest-heartbeat.js';
import type { RestreamCoordinator } from './restream-coordinator.js';

export interface OriginStreamsOptions {
  registry: Pick<LiveStreamRegistry, 'publishes' | 'waitingStreams' | 'disconnect' | 'endForGood' | 'handOver'>;
  restream: Pick<RestreamCoordinator, 'waitingStreams' | 'endForGood'>;
  fallbackCache: Pick<FallbackCache, 'forget'>;
  logger: Logger;
}

/**
 * Every stream this origin holds, as the heartbeat reports them, and the one path that ends a
 * deleted stream now: playlist (publisher cut, fallback stopped, ENDLIST), pushes and the
 * cached fallback file alike. Without it a deleted stream's publisher would be cut as a
 * drop-out, and its fallback would play to viewers and targets for the reconnect window.
 */
export class OriginStreams implements LivePublishes {
  constructor(private readonly options: OriginStreamsOptions) {}

  publishes() {
    return this.options.registry.publishes();
  }

  /** Streams without a publisher: playing their fallback, or only their pushes waiting (no fallback video). */
  waiting(): string[] {
    return [...new Set([...this.options.registry.waitingStreams(), ...this.options.restream.waitingStreams()])];
  }

  disconnect(sessionIds: Iterable<string>): void {
    this.options.registry.disconnect(sessionIds);
  }

  endForGood(streams: readonly string[]): void {
    const { registry, restream, fallbackCache, logger } = this.options;
    registry.endForGood(streams);
    for (const stream of streams) {
      restream.endForGood(stream).catch((error: unknown) => logger.warn({ err: error, stream }, 'could not close the pushes of a deleted stream'));
      fallbackCache.forget(stream).catch((error: unknown) => logger.warn({ err: error, stream }, 'could not remove the fallback video of a deleted stream'));
    }
  }

  /**
   * The publisher of these waiting streams came back on another origin, which owns them now: the
   * fallback stops and the pushes close here, so the targets get one publisher; the playlist is
   * left without ENDLIST, so players keep polling while the edges move to the new origin.
   */
  handedOver(streams: readonly string[]): void {
    const { registry, restream, logger } = this.options;
    registry.handOver(streams);
    for (const stream of streams) {
      restream.endForGood(stream).catch((error: unknown) => logger.warn({ err: error, stream }, 'could not close the pushes of a handed-over stream'));
    }
  }
}
