import type { IngestHeartbeat } from '../store/ingest-store.js';
import type { PublisherLeaseStore } from '../store/publisher-lease-store.js';
import type { StreamStore } from '../store/stream-store.js';
import { isStreamIdShaped } from '../schemas.js';
import type { OpenNames } from './open-names.js';

type Publish = IngestHeartbeat['publishes'][number];

/**
 * Goes over the publishes an origin reports in its heartbeat: renews the lease of each one that
 * may go on, and names the sessions the origin must cut, because their stream was deleted, their
 * key was reset (its generation is no longer current) or another session holds the lease.
 */
export class PublisherAudit {
  constructor(
    private readonly streams: Pick<StreamStore, 'generations'>,
    private readonly leases: Pick<PublisherLeaseStore, 'claim' | 'holdWaiting'>,
    private readonly openNames: OpenNames,
  ) {}

  async sessionsToDisconnect(originId: string, publishes: readonly Publish[]): Promise<string[]> {
    const managed = publishes.filter((publish) => publish.key_generation > 0).map((publish) => publish.stream);
    const generations = await this.streams.generations(managed);
    const verdicts = await Promise.all(
      publishes.map(async (publish) => {
        const current =
          publish.key_generation === 0
            ? this.openNames.allows(publish.stream)
            : Object.values(generations.get(publish.stream) ?? {}).includes(publish.key_generation);
        if (!current) return false;
        // A lease that expired (heartbeats late, Redis restarted) is taken back if still free.
        return (await this.leases.claim(publish.stream, originId, publish.session_id)).claimed;
      }),
    );
    return publishes.filter((_, index) => !verdicts[index]).map((publish) => publish.session_id);
  }

  /**
   * Among the streams `originId` holds while their publisher is away, those whose publisher came
   * back on another origin (which took the lease over): this origin stops their fallback and
   * pushes now, so the stream has one owner. The others' leases are renewed.
   */
  async streamsHandedOver(originId: string, waiting: readonly string[]): Promise<string[]> {
    const held = await Promise.all(waiting.map((stream) => this.leases.holdWaiting(stream, originId)));
    return waiting.filter((_, index) => !held[index]);
  }

  /**
   * The stream ids among `names` whose stream no longer exists (deleted, or its user was): the
   * origin ends them for good, with no fallback and no reconnect window. Open names never end here.
   */
  async streamsGone(names: readonly string[]): Promise<string[]> {
    const ids = [...new Set(names.filter(isStreamIdShaped))];
    const generations = await this.streams.generations(ids);
    return ids.filter((id) => !generations.get(id));
  }
}
