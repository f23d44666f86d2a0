import type { Redis } from 'ioredis';
import type { VideoReport, VideoState } from '../../../internal-api/src/video-contract.js';
import { VIDEO_STATES } from '../../../internal-api/src/video-contract.js';
import { call, exec, hashOrNull, RedisScript } from './redis-calls.js';
import { ID_PLACEHOLDER, VIDEOS_IN_PROGRESS, streamKey, streamVideosKey, userStreamsKey, videoKey, videoTombstoneKey } from './redis-keys.js';

/** A recorded session as the last report of its origin described it (keys in redis-keys.ts). */
export interface Video {
  uid: string;
  /** A stream id, or an open name (RECORD_OPEN_NAMES). */
  stream: string;
  originId: string;
  originHost: string;
  state: VideoState;
  created: string;
  ended: string | null;
  durationS: number;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  /** When a report last changed a field (the API's clock). */
  modified: string;
}

/** What a report did: kept (stored), refused (deleted or its stream is gone: remove the files), or a uid of another stream. */
export type ReportOutcome = { keep: true } | { keep: false } | { mismatch: string };

/**
 * Lua: moves the video's counted_bytes into its stream's recorded_bytes (what the owner's quota
 * counts), so that usage is a sum over the user's streams rather than over every video. Call
 * `count_bytes(video_key, stream_key, bytes)` with the bytes the video now takes (0: it goes);
 * a stream that no longer exists (or an open name, which never had one) is left alone.
 */
const COUNT_BYTES_LUA = `
local function count_bytes(video_key, stream_key, bytes)
  local counted = tonumber(redis.call('HGET', video_key, 'counted_bytes') or '0')
  if counted == bytes then return end
  if redis.call('EXISTS', stream_key) == 1 then redis.call('HINCRBY', stream_key, 'recorded_bytes', bytes - counted) end
  if redis.call('EXISTS', video_key) == 1 then redis.call('HSET', video_key, 'counted_bytes', bytes) end
end
`;

/**
 * Lua: unlists a video and uncounts its bytes. Call `unlist(uid, video_key, stream_key,
 * stream_videos_key, in_progress_key)`.
 */
const UNLIST_LUA = `
${COUNT_BYTES_LUA}
local function unlist(uid, video_key, stream_key, stream_videos_key, in_progress_key)
  count_bytes(video_key, stream_key, 0)
  redis.call('DEL', video_key)
  redis.call('ZREM', stream_videos_key, uid)
  redis.call('ZREM', in_progress_key, uid)
end
`;

/**
 * Stores an origin's report unless the video was deleted (tombstone) or its stream is gone; a
 * report that changes nothing leaves `modified` as it was (origins re-report periodically).
 * Returns 1 (stored), 0 (remove the files) or the stream the uid is stored under, when the report
 * names another.
 */
const REPORT_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] video-deleted:<uid>  KEYS[3] stream:<stream>  KEYS[4] stream:<stream>:videos
-- KEYS[5] videos:in-progress
-- ARGV uid, stream, open name ('1': no stream hash to check, no index), created (unix ms), now (ISO),
--      now (unix ms), size_bytes, live-inprogress ('1' or '0'), then field, value pairs
${COUNT_BYTES_LUA}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local stored = redis.call('HGET', KEYS[1], 'stream')
if stored and stored ~= ARGV[2] then return stored end
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[5], ARGV[1])
  return 0
end
local changed = not stored
for i = 9, #ARGV, 2 do
  if not changed and redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then changed = true end
end
if changed then redis.call('HSET', KEYS[1], 'modified', ARGV[5], unpack(ARGV, 9)) end
if ARGV[3] ~= '1' then
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
  count_bytes(KEYS[1], KEYS[3], tonumber(ARGV[7]))
end
if ARGV[8] == '1' then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1]) else redis.call('ZREM', KEYS[5], ARGV[1]) end
return 1
`);

/**
 * Deletes the video if it is still under the stream read before and that stream is the user's,
 * and leaves a tombstone so that its origin's next report answers keep: false. 1, or 0.
 */
const DELETE_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] video-deleted:<uid>  KEYS[3] stream:<stream>  KEYS[4] stream:<stream>:videos
-- KEYS[5] videos:in-progress   ARGV uid, stream, user_id, tombstone seconds
${UNLIST_LUA}
if redis.call('HGET', KEYS[1], 'stream') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[3], 'user_id') ~= ARGV[3] then return 0 end
unlist(ARGV[1], KEYS[1], KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
return 1
`);

/** Unlists the video if it is still under the stream read before and `origin_id` last reported it. 1, or 0. */
const WITHDRAW_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] stream:<stream>  KEYS[3] stream:<stream>:videos  KEYS[4] videos:in-progress
-- ARGV uid, stream, origin_id
${UNLIST_LUA}
if redis.call('HGET', KEYS[1], 'stream') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'origin_id') ~= ARGV[3] then return 0 end
unlist(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1
`);

/**
 * Withdraws up to ARGV[2] live-inprogress videos whose origin last reported them before ARGV[1]
 * (their origin vanished), as their origin would; a member whose video is gone (its stream was
 * deleted) is just removed. Returns how many videos were withdrawn. Keys come from templates:
 * the uids and streams are only known here.
 */
const WITHDRAW_STALE_VIDEOS = new RedisScript(`
-- KEYS[1] videos:in-progress   ARGV cutoff (unix ms), most, video key template, stream key template,
-- stream videos key template
${UNLIST_LUA}
local function key(template, id) return (string.gsub(template, '${ID_PLACEHOLDER}', id)) end
local withdrawn = 0
for _, uid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local video_key = key(ARGV[3], uid)
  local stream = redis.call('HGET', video_key, 'stream')
  if stream and redis.call('HGET', video_key, 'state') == 'live-inprogress' then
    unlist(uid, video_key, key(ARGV[4], stream), key(ARGV[5], stream), KEYS[1])
    withdrawn = withdrawn + 1
  else
    redis.call('ZREM', KEYS[1], uid)
  end
end
return withdrawn
`);

/** The bytes the user's videos take: the recorded_bytes of each of the user's streams, summed. */
const RECORDED_BYTES_USED = new RedisScript(`
-- KEYS[1] user:<user>:streams   ARGV stream key template
local used = 0
for _, stream in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(redis.call('HGET', (string.gsub(ARGV[1], '${ID_PLACEHOLDER}', stream)), 'recorded_bytes') or '0')
end
return tostring(used)
`);

/** Stale videos one sweep withdraws at most (one script call each batch), so a sweep never blocks Redis for long. */
const STALE_BATCH = 100;

export interface VideoStoreOptions {
  /** VIDEO_TOMBSTONE_SECONDS: how long a deleted video's uid answers keep: false. */
  tombstoneSeconds: number;
  /** Clock of `modified` (tests freeze it). */
  now?: () => number;
}

/** Videos (seed 004): what origins report of their recordings, listed per stream. */
export class VideoStore {
  private readonly tombstoneSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { tombstoneSeconds, now = Date.now }: VideoStoreOptions,
  ) {
    this.tombstoneSeconds = tombstoneSeconds;
    this.now = now;
  }

  /** Stores an origin's report; `openName`: the stream is an open name, which has no stream hash and no listing. */
  async report(uid: string, report: VideoReport, openName: boolean): Promise<ReportOutcome> {
    const fields = {
      stream: report.stream,
      origin_id: report.origin_id,
      origin_host: report.origin_host,
      state: report.state,
      created: report.created,
      ended: report.ended ?? '',
      duration_s: report.duration_s,
      size_bytes: report.size_bytes,
      width: report.width ?? '',
      height: report.height ?? '',
    };
    const now = this.now();
    const outcome = await REPORT_VIDEO.run(
      this.redis,
      [videoKey(uid), videoTombstoneKey(uid), streamKey(report.stream), streamVideosKey(report.stream), VIDEOS_IN_PROGRESS],
      [
        uid,
        report.stream,
        openName ? 1 : 0,
        Date.parse(report.created),
        new Date(now).toISOString(),
        now,
        report.size_bytes,
        report.state === 'live-inprogress' ? 1 : 0,
        ...Object.entries(fields).flat(),
      ],
    );
    if (typeof outcome === 'string') return { mismatch: outcome };
    return { keep: outcome === 1 };
  }

  async get(uid: string): Promise<Video | null> {
    return toVideo(uid, hashOrNull(await call(this.redis.hgetall(videoKey(uid)))));
  }

  /**
   * The stream's videos, newest first (by the creation time the origin reported): at most
   * `limit`, created before `beforeMs` when given (the next page starts before the last one's;
   * a stream has one publisher at a time, so two of its videos never start in the same ms).
   */
  async list(streamId: string, limit: number, beforeMs?: number): Promise<Video[]> {
    const max = beforeMs === undefined ? '+inf' : `(${beforeMs}`;
    const uids = await call(this.redis.zrevrangebyscore(streamVideosKey(streamId), max, '-inf', 'LIMIT', 0, limit));
    if (uids.length === 0) return [];
    const transaction = this.redis.multi();
    for (const uid of uids) transaction.hgetall(videoKey(uid));
    const replies = await exec(transaction);
    return replies.map((reply, index) => toVideo(uids[index]!, hashOrNull(reply))).filter((video): video is Video => video?.stream === streamId);
  }

  /** Deletes the video if it belongs to `streamId` and that stream to `userId`; false otherwise. */
  async delete(userId: string, streamId: string, uid: string): Promise<boolean> {
    const deleted = await DELETE_VIDEO.run(
      this.redis,
      [videoKey(uid), videoTombstoneKey(uid), streamKey(streamId), streamVideosKey(streamId), VIDEOS_IN_PROGRESS],
      [uid, streamId, userId, this.tombstoneSeconds],
    );
    return deleted === 1;
  }

  /** The origin that holds the video no longer does (retention, lost files); false when another origin last reported it. */
  async withdraw(video: Pick<Video, 'uid' | 'stream'>, originId: string): Promise<boolean> {
    const withdrawn = await WITHDRAW_VIDEO.run(
      this.redis,
      [videoKey(video.uid), streamKey(video.stream), streamVideosKey(video.stream), VIDEOS_IN_PROGRESS],
      [video.uid, video.stream, originId],
    );
    return withdrawn === 1;
  }

  /**
   * Withdraws the live-inprogress videos that no report has refreshed for `timeoutMs` (their
   * origin vanished); returns how many. Idempotent, so every API instance may run it.
   */
  async withdrawStale(timeoutMs: number): Promise<number> {
    const cutoff = this.now() - timeoutMs;
    let total = 0;
    for (;;) {
      const withdrawn = Number(
        await WITHDRAW_STALE_VIDEOS.run(
          this.redis,
          [VIDEOS_IN_PROGRESS],
          [cutoff, STALE_BATCH, videoKey(ID_PLACEHOLDER), streamKey(ID_PLACEHOLDER), streamVideosKey(ID_PLACEHOLDER)],
        ),
      );
      total += withdrawn;
      // A batch that withdrew fewer than it may have either ran out or only removed gone members.
      if (withdrawn < STALE_BATCH) return total;
    }
  }

  /** Bytes the user's videos take, as their origins last reported them (live-inprogress and ready). */
  async usedBytes(userId: string): Promise<number> {
    return Number(await RECORDED_BYTES_USED.run(this.redis, [userStreamsKey(userId)], [streamKey(ID_PLACEHOLDER)]));
  }
}

function toVideo(uid: string, hash: Record<string, string> | null): Video | null {
  const state = VIDEO_STATES.find((known) => known === hash?.state);
  if (!hash?.stream || !hash.origin_host || !state || !hash.created || !hash.modified) return null;
  return {
    uid,
    stream: hash.stream,
    originId: hash.origin_id ?? '',
    originHost: hash.origin_host,
    state,
    created: hash.created,
    ended: hash.ended || null,
    durationS: Number(hash.duration_s ?? 0),
    sizeBytes: Number(hash.size_bytes ?? 0),
    width: hash.width ? Number(hash.width) : null,
    height: hash.height ? Number(hash.height) : null,
    modified: hash.modified,
  };
}
