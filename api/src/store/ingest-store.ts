import type { Redis } from 'ioredis';
import { call, exec } from './redis-calls.js';
import { INGESTS, ingestKey } from './redis-keys.js';

/** An origin's heartbeat, stored as the origin sent it (wire field names). */
export interface IngestHeartbeat {
  name: string;
  region: string;
  priority: number;
  url_templates: { rtmp: string; srt?: string; websocket?: string };
  load: { streams: number; bandwidth_bps: number };
  publishes: { session_id: string; stream: string; key_generation: number }[];
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
 * expires with it; the `ingests` index lists origins by expiry so listing needs no SCAN.
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
        .zremrangebyscore(INGESTS, '-inf', now),
    );
  }

  /** Forgets the origin; returns its last heartbeat (null when it had none left). */
  async remove(originId: string): Promise<IngestHeartbeat | null> {
    const [last] = await exec(this.redis.multi().get(ingestKey(originId)).del(ingestKey(originId)).zrem(INGESTS, originId));
    return parseHeartbeat(last);
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
