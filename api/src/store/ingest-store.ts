import type { Redis } from 'ioredis';
import type { HeldPublish, PublishIngest } from '../../../internal-api/src/ingest-contract.js';
import { call, exec } from './redis-calls.js';
import { INGESTS, ingestKey } from './redis-keys.js';

/** An origin's heartbeat, stored as the origin sent it (wire field names). */
export interface IngestHeartbeat {
  name: string;
  region: string;
  priority: number;
  url_templates: { rtmp: string; srt?: string; websocket?: string };
  load: { streams: number; bandwidth_bps: number };
  publishes: HeldPublish[];
}

export interface LiveIngest {
  originId: string;
  heartbeat: IngestHeartbeat;
}

export interface IngestStoreOptions {
  ttlSeconds: number;
  /** Clock for the index's expiry scores; API instances sharing a Redis are assumed NTP-synced. */
  now?: () => number;
}

/**
 * Origins that announce themselves with heartbeats: `ingest:<origin>` holds the last one and
 * expires with it; the `ingests` index lists origins by expiry so listing needs no SCAN, and
 * expires a TTL after the last heartbeat of any origin.
 */
export class IngestStore {
  readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { ttlSeconds, now = Date.now }: IngestStoreOptions,
  ) {
    this.ttlSeconds = ttlSeconds;
    this.now = now;
  }

  async record(originId: string, heartbeat: IngestHeartbeat): Promise<void> {
    const now = this.now();
    const ttlMs = this.ttlSeconds * 1000;
    await exec(
      this.redis
        .multi()
        .set(ingestKey(originId), JSON.stringify(heartbeat), 'PX', ttlMs)
        .zadd(INGESTS, now + ttlMs, originId)
        .zremrangebyscore(INGESTS, '-inf', now)
        // The index goes too once no origin beats: a member left by a list that raced an expiry
        // (its heartbeat gone, its score not yet passed) is otherwise pruned only by a later list.
        .pexpire(INGESTS, ttlMs),
    );
  }

  /** Forgets the origin; returns its last heartbeat (null when it had none left). */
  async remove(originId: string): Promise<IngestHeartbeat | null> {
    const [last] = await exec(this.redis.multi().get(ingestKey(originId)).del(ingestKey(originId)).zrem(INGESTS, originId));
    return parseHeartbeat(last);
  }

  /**
   * The ingest the origin's last heartbeat reported for one of its publishes: null when the
   * heartbeat expired, does not list the publish, or came from an origin that does not report it.
   */
  async publishIngest(originId: string, sessionId: string, stream: string): Promise<PublishIngest | null> {
    const heartbeat = parseHeartbeat(await call(this.redis.get(ingestKey(originId))));
    const publish = heartbeat?.publishes.find((held) => held.session_id === sessionId && held.stream === stream);
    return publish?.ingest ?? null;
  }

  /** Origins whose heartbeat has not expired. */
  async live(): Promise<LiveIngest[]> {
    const [, ids] = await exec(this.redis.multi().zremrangebyscore(INGESTS, '-inf', this.now()).zrange(INGESTS, '0', '-1'));
    const originIds = ids as string[];
    if (originIds.length === 0) return [];
    const heartbeats = await call(this.redis.mget(originIds.map(ingestKey)));
    const live: LiveIngest[] = [];
    originIds.forEach((originId, index) => {
      const heartbeat = parseHeartbeat(heartbeats[index]);
      if (heartbeat) live.push({ originId, heartbeat });
    });
    return live;
  }
}

function parseHeartbeat(text: unknown): IngestHeartbeat | null {
  return typeof text === 'string' ? (JSON.parse(text) as IngestHeartbeat) : null;
}
