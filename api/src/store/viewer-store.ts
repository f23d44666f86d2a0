/**
 * Viewer counts from the edges' sightings, per stream name `<name>` (keys in redis-keys.ts):
 *
 *   viewers:<name>      ZSET    member session id, score when an edge last saw it (unix ms)
 *   views:<name>        STRING  sessions started: sighted with no sighting in the idle window
 *   time-viewed:<name>  STRING  ms viewed: for a session sighted again within the window, the
 *                               time since its previous sighting
 *
 * A session counts as live until `idleSeconds` after its last sighting. Members older than that
 * are pruned on every write and read, and each write sets the ZSET's TTL to the window (every
 * member it holds is then stale by the time it expires), so a stream nobody watches leaves
 * nothing behind. The two counters are kept, without TTL, only while `stream:<name>` exists: they
 * are a managed stream's totals and go with it (streamOwnedKeys); open names get a live count only.
 *
 * One Lua script per stream and batch, so concurrent batches from several edges never count a
 * session's start twice.
 */
import type { Redis } from 'ioredis';
import { exec, RedisScript } from './redis-calls.js';
import { streamKey, timeViewedKey, viewersKey, viewsKey } from './redis-keys.js';

/**
 * KEYS: viewers, views, time-viewed, stream. ARGV: now (ms), idle window (ms), session ids (unique).
 * Sessions go through ZMSCORE and ZADD in chunks: Lua's unpack() is limited to a few thousand values.
 */
const RECORD_SIGHTINGS = new RedisScript(`
local now = tonumber(ARGV[1])
local idle = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - idle)
local started, viewed = 0, 0
local chunk = 1000
for first = 3, #ARGV, chunk do
  local last = math.min(first + chunk - 1, #ARGV)
  local previous = redis.call('ZMSCORE', KEYS[1], unpack(ARGV, first, last))
  local members = {}
  for i = first, last do
    local seen = previous[i - first + 1]
    if seen then
      viewed = viewed + math.max(0, now - tonumber(seen))
    else
      started = started + 1
    end
    members[#members + 1] = now
    members[#members + 1] = ARGV[i]
  end
  -- GT: a sighting stamped by an API instance whose clock runs behind never moves one back.
  redis.call('ZADD', KEYS[1], 'GT', unpack(members))
end
redis.call('PEXPIRE', KEYS[1], idle)
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('INCRBY', KEYS[2], started)
  redis.call('INCRBY', KEYS[3], viewed)
end
`);

export interface ViewerTotals {
  liveViewers: number;
  /** Sessions started over the stream's life. */
  views: number;
  timeViewedMs: number;
}

export interface ViewerStoreOptions {
  /** VIEWER_IDLE_SECONDS: a session not sighted this long has left. */
  idleSeconds: number;
  /** Clock for sighting scores and pruning; API instances sharing a Redis are assumed NTP-synced. */
  now?: () => number;
}

export class ViewerStore {
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { idleSeconds, now = Date.now }: ViewerStoreOptions,
  ) {
    this.idleMs = idleSeconds * 1000;
    this.now = now;
  }

  /** Records that each session made a request for its stream (one edge's batch). */
  async record(sightings: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const now = this.now();
    await Promise.all(
      [...sightings]
        .filter(([, sessions]) => sessions.size > 0)
        .map(([name, sessions]) =>
          RECORD_SIGHTINGS.run(
            this.redis,
            [viewersKey(name), viewsKey(name), timeViewedKey(name), streamKey(name)],
            [now, this.idleMs, ...sessions],
          ),
        ),
    );
  }

  /** Sessions sighted within the idle window. */
  async liveViewers(name: string): Promise<number> {
    const [, count] = await exec(this.prune(name).zcard(viewersKey(name)));
    return Number(count);
  }

  async totals(name: string): Promise<ViewerTotals> {
    const [, live, views, timeViewed] = await exec(this.prune(name).zcard(viewersKey(name)).get(viewsKey(name)).get(timeViewedKey(name)));
    return { liveViewers: Number(live), views: Number(views ?? 0), timeViewedMs: Number(timeViewed ?? 0) };
  }

  private prune(name: string) {
    return this.redis.multi().zremrangebyscore(viewersKey(name), '-inf', this.now() - this.idleMs);
  }
}
