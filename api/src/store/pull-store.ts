import type { Redis } from 'ioredis';
import type { PullState } from '../../../internal-api/src/pull-contract.js';
import { PullExistsError, PullNotFoundError, StreamNotFoundError } from '../errors.js';
import { RedisScript, call, exec } from './redis-calls.js';
import { ID_PLACEHOLDER, PULLS, pullLeaseKey, pullStatusKey, streamKey, streamPullKey } from './redis-keys.js';

/** A stream's pull source as stored. */
export interface Pull {
  /** Secret: it may carry credentials or a secret query; show it through maskUrlSecrets. */
  url: string;
  createdAt: string;
}

/** How the origin running a pull last reported it. */
export interface PullStatus {
  state: PullState;
  since: string;
  attempts: number;
  lastError: string | null;
  originId: string;
  reportedAt: string;
}

export type ReportedPullStatus = Omit<PullStatus, 'originId' | 'reportedAt'> & { stream: string };

/** Sets the stream's pull and lists it: 1, -1 not the user's stream, -2 it has a pull already. */
const CREATE_PULL = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:pull  KEYS[3] pulls   ARGV user_id, stream id, url, created_at
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
redis.call('HSET', KEYS[2], 'url', ARGV[3], 'created_at', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`);

/** Removes the pull, its lease and status: 1, -1 not the user's stream, 0 no pull. */
const DELETE_PULL = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:pull  KEYS[3] pulls  KEYS[4] pull-lease:<id>  KEYS[5] pull-status:<id>
-- ARGV user_id, stream id
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
if redis.call('DEL', KEYS[2]) == 0 then return 0 end
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[4], KEYS[5])
return 1
`);

/**
 * Gives the origin its pulls: first the ones it already holds (renewed), then pulls nobody holds
 * (a dead origin's lease has lapsed), up to its max. Pulls whose stream:<id>:pull is gone (the
 * stream was deleted) leave the index. Returns the stream ids claimed.
 */
const CLAIM_PULLS = new RedisScript(`
-- KEYS[1] pulls   ARGV origin id, max, lease ms, stream:{id}:pull template, pull-lease:{id} template
local origin, max, leaseMs = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local members = redis.call('SMEMBERS', KEYS[1])
local claimed = {}
for pass = 1, 2 do
  for _, id in ipairs(members) do
    if #claimed >= max then break end
    local pullKey = string.gsub(ARGV[4], '{id}', id)
    if redis.call('EXISTS', pullKey) == 0 then
      redis.call('SREM', KEYS[1], id)
    else
      local leaseKey = string.gsub(ARGV[5], '{id}', id)
      local holder = redis.call('GET', leaseKey)
      if (pass == 1 and holder == origin) or (pass == 2 and not holder) then
        redis.call('SET', leaseKey, origin, 'PX', leaseMs)
        table.insert(claimed, id)
      end
    end
  end
end
return claimed
`);

export interface PullStoreOptions {
  /** PULL_LEASE_SECONDS: a pull whose origin stops claiming moves to another one after this. */
  leaseSeconds: number;
  now?: () => number;
}

/**
 * Pull sources (issue 15): one per stream, and which origin runs each. The lease lives in
 * Redis, so any API instance answers a claim and a dead origin's pulls move within the lease.
 */
export class PullStore {
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { leaseSeconds, now = Date.now }: PullStoreOptions,
  ) {
    this.leaseMs = leaseSeconds * 1000;
    this.now = now;
  }

  /** Throws StreamNotFoundError (not the user's stream) or PullExistsError. */
  async create(userId: string, streamId: string, url: string): Promise<Pull> {
    const pull = { url, createdAt: new Date(this.now()).toISOString() };
    const reply = await CREATE_PULL.run(this.redis, [streamKey(streamId), streamPullKey(streamId), PULLS], [userId, streamId, url, pull.createdAt]);
    if (reply === -1) throw new StreamNotFoundError(streamId);
    if (reply === -2) throw new PullExistsError(streamId);
    return pull;
  }

  async get(streamId: string): Promise<Pull | null> {
    const [url, createdAt] = await call(this.redis.hmget(streamPullKey(streamId), 'url', 'created_at'));
    return url && createdAt ? { url, createdAt } : null;
  }

  /** The pull's last reported status; null while no origin runs it. */
  async status(streamId: string): Promise<PullStatus | null> {
    const json = await call(this.redis.get(pullStatusKey(streamId)));
    return json === null ? null : (JSON.parse(json) as PullStatus);
  }

  /** Throws StreamNotFoundError or PullNotFoundError. */
  async delete(userId: string, streamId: string): Promise<void> {
    const keys = [streamKey(streamId), streamPullKey(streamId), PULLS, pullLeaseKey(streamId), pullStatusKey(streamId)];
    const reply = await DELETE_PULL.run(this.redis, keys, [userId, streamId]);
    if (reply === -1) throw new StreamNotFoundError(streamId);
    if (reply !== 1) throw new PullNotFoundError(streamId);
  }

  /**
   * The origin's pulls from now on (leased to it for PULL_LEASE_SECONDS), with their URLs; the
   * statuses it reports are kept for the pulls it still holds.
   */
  async claim(originId: string, max: number, statuses: readonly ReportedPullStatus[]): Promise<{ stream: string; url: string }[]> {
    const reply = await CLAIM_PULLS.run(this.redis, [PULLS], [originId, max, this.leaseMs, streamPullKey(ID_PLACEHOLDER), pullLeaseKey(ID_PLACEHOLDER)]);
    const claimed = (reply as string[]).slice();
    if (claimed.length === 0) return [];
    const reportedAt = new Date(this.now()).toISOString();
    const transaction = this.redis.multi();
    for (const stream of claimed) transaction.hget(streamPullKey(stream), 'url');
    for (const status of statuses) {
      if (!claimed.includes(status.stream)) continue;
      const { stream, ...fields } = status;
      const stored: PullStatus = { ...fields, originId, reportedAt };
      transaction.set(pullStatusKey(stream), JSON.stringify(stored), 'PX', this.leaseMs);
    }
    const replies = await exec(transaction);
    return claimed.flatMap((stream, index) => {
      const url = replies[index];
      return typeof url === 'string' ? [{ stream, url }] : [];
    });
  }
}
