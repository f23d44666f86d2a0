import type { Redis } from 'ioredis';
import type { RESTREAM_STATES } from '../../../internal-api/src/restream-contract.js';
import { RedisScript, call } from './redis-calls.js';
import { restreamStatusKey, streamKey, streamTargetsKey } from './redis-keys.js';

export type RestreamState = (typeof RESTREAM_STATES)[number];

/** A push's status as the origin holding the stream reports it. Never holds the target's key. */
export interface TargetStatus {
  state: RestreamState;
  /** When the push entered this state, ISO 8601. */
  since: string;
  bytesSent: number;
  bitrateBps: number;
  /** Connection attempts since the target last worked. */
  attempts: number;
  lastError: { code: string | null; message: string; at: string | null } | null;
  /** While retrying: when the next attempt starts. */
  nextRetryAt: string | null;
  /** Times the push fell behind and skipped to the next keyframe. */
  skippedKeyframes: number;
}

export interface ReportedTargetStatus extends TargetStatus {
  originId: string;
  reportedAt: string;
}

interface StoredStatus {
  origin_id: string;
  reported_at_ms: number;
  state: RestreamState;
  since: string;
  bytes_sent: number;
  bitrate_bps: number;
  attempts: number;
  last_error: TargetStatus['lastError'];
  next_retry_at: string | null;
  skipped_keyframes: number;
}

/**
 * Stores the reported statuses of targets that exist (a status for a deleted target is dropped)
 * and gives the hash the TTL again. Returns how many were stored, or -1 when the stream does not exist.
 */
const RECORD_STATUSES = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:targets  KEYS[3] restream-status:<id>
-- ARGV ttl_ms, then target id and status JSON, pairwise
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local stored = 0
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    stored = stored + 1
  end
end
if stored > 0 then redis.call('PEXPIRE', KEYS[3], ARGV[1]) end
return stored
`);

export interface RestreamStatusStoreOptions {
  ttlSeconds: number;
  now?: () => number;
}

/**
 * Live status of each managed stream's pushes, as origins report it. Each report lasts
 * RESTREAM_STATUS_TTL_SECONDS: the status of a dead origin's pushes disappears by itself.
 */
export class RestreamStatusStore {
  readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { ttlSeconds, now = Date.now }: RestreamStatusStoreOptions,
  ) {
    this.ttlSeconds = ttlSeconds;
    this.now = now;
  }

  /** False when the stream does not exist. */
  async record(streamId: string, originId: string, statuses: readonly (TargetStatus & { targetId: string })[]): Promise<boolean> {
    const reportedAtMs = this.now();
    const pairs = statuses.flatMap(({ targetId, ...status }) => [targetId, JSON.stringify(toStored(status, originId, reportedAtMs))]);
    const reply = await RECORD_STATUSES.run(
      this.redis,
      [streamKey(streamId), streamTargetsKey(streamId), restreamStatusKey(streamId)],
      [this.ttlSeconds * 1000, ...pairs],
    );
    return reply !== -1;
  }

  /** The current status of each target of the stream that has one. */
  async read(streamId: string): Promise<Map<string, ReportedTargetStatus>> {
    const hash = await call(this.redis.hgetall(restreamStatusKey(streamId)));
    const oldest = this.now() - this.ttlSeconds * 1000;
    const found = new Map<string, ReportedTargetStatus>();
    for (const [targetId, json] of Object.entries(hash)) {
      const stored = JSON.parse(json) as StoredStatus;
      if (stored.reported_at_ms >= oldest) found.set(targetId, fromStored(stored));
    }
    return found;
  }
}

function toStored(status: TargetStatus, originId: string, reportedAtMs: number): StoredStatus {
  return {
    origin_id: originId,
    reported_at_ms: reportedAtMs,
    state: status.state,
    since: status.since,
    bytes_sent: status.bytesSent,
    bitrate_bps: status.bitrateBps,
    attempts: status.attempts,
    last_error: status.lastError,
    next_retry_at: status.nextRetryAt,
    skipped_keyframes: status.skippedKeyframes,
  };
}

function fromStored(stored: StoredStatus): ReportedTargetStatus {
  return {
    originId: stored.origin_id,
    reportedAt: new Date(stored.reported_at_ms).toISOString(),
    state: stored.state,
    since: stored.since,
    bytesSent: stored.bytes_sent,
    bitrateBps: stored.bitrate_bps,
    attempts: stored.attempts,
    lastError: stored.last_error,
    nextRetryAt: stored.next_retry_at,
    skippedKeyframes: stored.skipped_keyframes,
  };
}
