import type { Redis } from 'ioredis';
import type { VideoReport, VideoState } from '../../../internal-api/src/video-contract.js';
import { VIDEO_STATES } from '../../../internal-api/src/video-contract.js';
import { call, exec, hashOrNull, RedisScript } from './redis-calls.js';
import { streamKey, streamVideosKey, videoKey, videoTombstoneKey } from './redis-keys.js';

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
 * Stores an origin's report unless the video was deleted (tombstone) or its stream is gone; a
 * report that changes nothing leaves `modified` as it was (origins re-report periodically).
 * Returns 1 (stored), 0 (remove the files) or the stream the uid is stored under, when the report
 * names another.
 */
const REPORT_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] video-deleted:<uid>  KEYS[3] stream:<stream>  KEYS[4] stream:<stream>:videos
-- ARGV uid, stream, open name ('1': no stream hash to check, no index), created (unix ms), now (ISO),
--      then field, value pairs
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local stored = redis.call('HGET', KEYS[1], 'stream')
if stored and stored ~= ARGV[2] then return stored end
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
local changed = not stored
for i = 6, #ARGV, 2 do
  if not changed and redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then changed = true end
end
if changed then redis.call('HSET', KEYS[1], 'modified', ARGV[5], unpack(ARGV, 6)) end
if ARGV[3] ~= '1' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1]) end
return 1
`);

/**
 * Deletes the video if it is still under the stream read before and that stream is the user's,
 * and leaves a tombstone so that its origin's next report answers keep: false. 1, or 0.
 */
const DELETE_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] video-deleted:<uid>  KEYS[3] stream:<stream>  KEYS[4] stream:<stream>:videos
-- ARGV uid, stream, user_id, tombstone seconds
if redis.call('HGET', KEYS[1], 'stream') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[3], 'user_id') ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
return 1
`);

/** Unlists the video if it is still under the stream read before and `origin_id` last reported it. 1, or 0. */
const WITHDRAW_VIDEO = new RedisScript(`
-- KEYS[1] video:<uid>  KEYS[2] stream:<stream>:videos   ARGV uid, stream, origin_id
if redis.call('HGET', KEYS[1], 'stream') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'origin_id') ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);

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
    const outcome = await REPORT_VIDEO.run(
      this.redis,
      [videoKey(uid), videoTombstoneKey(uid), streamKey(report.stream), streamVideosKey(report.stream)],
      [uid, report.stream, openName ? 1 : 0, Date.parse(report.created), new Date(this.now()).toISOString(), ...Object.entries(fields).flat()],
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
      [videoKey(uid), videoTombstoneKey(uid), streamKey(streamId), streamVideosKey(streamId)],
      [uid, streamId, userId, this.tombstoneSeconds],
    );
    return deleted === 1;
  }

  /** The origin that holds the video no longer does (retention, lost files); false when another origin last reported it. */
  async withdraw(video: Pick<Video, 'uid' | 'stream'>, originId: string): Promise<boolean> {
    const withdrawn = await WITHDRAW_VIDEO.run(this.redis, [videoKey(video.uid), streamVideosKey(video.stream)], [video.uid, video.stream, originId]);
    return withdrawn === 1;
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
