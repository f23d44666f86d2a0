import type { Redis } from 'ioredis';
import { InternalError, TooManyStreamsError } from '../errors.js';
import type { AbrRung } from '../../../internal-api/src/abr-contract.js';
import { RECORDING_MODES, type RecordingMode } from '../../../internal-api/src/recording-contract.js';
import type { KeyProtocol } from '../publish/stream-key.js';
import { MAX_ID_ATTEMPTS, randomId } from '../random-strings.js';
import { ADD_NEWEST_LUA } from './creation-order.js';
import { RedisScript, call, exec, hashOrNull } from './redis-calls.js';
import { ID_PLACEHOLDER, streamKey, streamOwnedKeys, streamSecretsKey, streamVideosKey, publisherKey, userKey, userStreamsKey, videoKey } from './redis-keys.js';
import { DELETE_VIDEOS_LUA } from './stream-videos-lua.js';

/** Who may play a stream: the edges enforce it (signed tokens, Origin/Referer). */
export interface PlaybackPolicy {
  requireSignedUrls: boolean;
  /** Lowercase host patterns (playback-token/src/allowed-origins.ts); empty: any origin. */
  allowedOrigins: string[];
}

/** A stream stored before playback policies existed, and every open name, play like this. */
export const OPEN_PLAYBACK: Readonly<PlaybackPolicy> = Object.freeze({ requireSignedUrls: false, allowedOrigins: [] });

/** Seed 004's recording setting (internal-api/src/recording-contract.ts). */
export interface RecordingSettings {
  mode: RecordingMode;
  /** A publisher back within this long continues the same video. */
  timeoutSeconds: number;
}

/** New streams, and those stored before recording existed, record every session (seed 004's default). */
export const DEFAULT_RECORDING: Readonly<RecordingSettings> = Object.freeze({ mode: 'automatic', timeoutSeconds: 0 });

/** Open names, unless RECORD_OPEN_NAMES says otherwise. */
export const NOT_RECORDED: Readonly<RecordingSettings> = Object.freeze({ mode: 'off', timeoutSeconds: 0 });

/**
 * Why the stream's latest session was not recorded, or stopped being: `quota-exceeded`, its owner
 * reached their recording quota (RECORDING_QUOTA_BYTES). Null: nothing stopped it.
 */
export const RECORDING_STATUSES = ['quota-exceeded'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];
/** Issue 13's ABR setting: `ladder` null means the default ladder (internal-api/src/abr-contract.ts). */
export interface AbrSettings {
  enabled: boolean;
  ladder: AbrRung[] | null;
}

/** New streams, and those stored before ABR existed, run without it. */
export const DEFAULT_ABR: Readonly<AbrSettings> = Object.freeze({ enabled: false, ladder: null });

export interface Stream {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  playback: PlaybackPolicy;
  recording: RecordingSettings;
  recordingStatus: RecordingStatus | null;
  abr: AbrSettings;
}

/** What an update may change; an omitted field keeps its value. */
export interface StreamChanges {
  name: string;
  requireSignedUrls?: boolean;
  allowedOrigins?: string[];
  recording?: Partial<RecordingSettings>;
  abr?: Partial<AbrSettings>;
}

export interface StreamCredentials {
  secrets: Record<KeyProtocol, string>;
  generations: Record<KeyProtocol, number>;
}

/** HSET (or HDEL when ARGV[1] is '') recording_status on a stream that exists. */
const SET_RECORDING_STATUS = new RedisScript(`
-- KEYS[1] stream:<id>   ARGV status ('': none)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'recording_status') else redis.call('HSET', KEYS[1], 'recording_status', ARGV[1]) end
return 1
`);

/**
 * Key generations count resets. RTMP's are odd and SRT's even (each reset adds 2), so a
 * generation alone tells which key a publisher used and whether that key is still current.
 */
const FIRST_GENERATION: Record<KeyProtocol, number> = { rtmp: 1, srt: 2 };
const GENERATION_STEP = 2;

/**
 * Creates the stream unless the id is taken (0), its owner no longer exists (-1) or already has
 * the most streams allowed (-2): counted and added in one step, so concurrent creations cannot
 * pass the limit together.
 */
const CREATE_STREAM = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:keys  KEYS[3] user:<user>:streams  KEYS[4] user:<user>
-- ARGV id, user_id, name, created_at, created_at_ms, rtmp_secret, rtmp_generation, srt_secret,
--      srt_generation, owner_must_exist (1 or 0: the built-in admin is not stored),
--      require_signed_urls, allowed_origins, max_streams, recording_mode, recording_timeout_seconds,
--      abr_enabled, abr_ladder
${ADD_NEWEST_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[10] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[13]) then return -2 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'user_id', ARGV[2], 'name', ARGV[3], 'created_at', ARGV[4], 'updated_at', ARGV[4],
  'require_signed_urls', ARGV[11], 'allowed_origins', ARGV[12], 'recording_mode', ARGV[14], 'recording_timeout_seconds', ARGV[15],
  'abr_enabled', ARGV[16], 'abr_ladder', ARGV[17])
redis.call('HSET', KEYS[2], 'rtmp_secret', ARGV[6], 'rtmp_generation', ARGV[7], 'srt_secret', ARGV[8], 'srt_generation', ARGV[9])
add_newest(KEYS[3], ARGV[5], ARGV[1])
return 1
`);

/** Changes fields of the user's stream; returns the stream (HGETALL), or nil when it is not theirs. */
const UPDATE_STREAM = new RedisScript(`
-- KEYS[1] stream:<id>   ARGV user_id, updated_at, then field, value pairs
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return nil end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2], unpack(ARGV, 3))
return redis.call('HGETALL', KEYS[1])
`);

/**
 * Gives one protocol of the user's stream a new secret and the next generation, and drops the
 * stream's publish lease so the new key can publish at once (the old publisher is cut at its
 * origin's next heartbeat). Returns the new generation, or -1 when the stream is not theirs.
 */
const RESET_KEY = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] stream:<id>:keys  KEYS[3] publisher:<id>
-- ARGV user_id, secret field, generation field, new secret, generation step
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
local generation = redis.call('HINCRBY', KEYS[2], ARGV[3], ARGV[5])
redis.call('DEL', KEYS[3])
return generation
`);

/** Deletes the user's stream with its keys, videos, lease and live routes: 1, or 0 when not theirs. */
const DELETE_STREAM = new RedisScript(`
-- KEYS[1] stream:<id>  KEYS[2] user:<user>:streams  KEYS[3] stream:<id>:videos  KEYS[4..] every key of the stream
-- ARGV user_id, stream id, video key template
${DELETE_VIDEOS_LUA}
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return 0 end
delete_videos(KEYS[3], ARGV[3])
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`);

export interface StreamStoreOptions {
  /** Clock for creation and update times (tests freeze it). */
  now?: () => number;
}

/**
 * Streams and their secrets. Every method that reads or changes one stream takes the user it
 * must belong to: another user's stream is answered exactly like a missing one.
 */
export class StreamStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    { now = Date.now }: StreamStoreOptions = {},
  ) {
    this.now = now;
  }

  /**
   * Creates a stream with fresh secrets for `userId`; null when that user no longer exists.
   * `ownerStored` is false for the built-in admin, which owns streams without being stored.
   */
  async create(
    userId: string,
    name: string,
    secrets: Record<KeyProtocol, string>,
    ownerStored: boolean,
    maxStreams: number,
    playback: PlaybackPolicy = OPEN_PLAYBACK,
    recording: RecordingSettings = DEFAULT_RECORDING,
    abr: AbrSettings = DEFAULT_ABR,
  ): Promise<Stream | null> {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const now = new Date(this.now());
      const createdAt = now.toISOString();
      const stream: Stream = {
        id: randomId(),
        userId,
        name,
        createdAt,
        updatedAt: createdAt,
        playback: { ...playback },
        recording: { ...recording },
        recordingStatus: null,
        abr: { ...abr },
      };
      const created = await CREATE_STREAM.run(
        this.redis,
        [streamKey(stream.id), streamSecretsKey(stream.id), userStreamsKey(userId), userKey(userId)],
        [
          stream.id,
          userId,
          name,
          createdAt,
          now.getTime(),
          secrets.rtmp,
          FIRST_GENERATION.rtmp,
          secrets.srt,
          FIRST_GENERATION.srt,
          ownerStored ? 1 : 0,
          playback.requireSignedUrls ? 1 : 0,
          JSON.stringify(playback.allowedOrigins),
          maxStreams,
          recording.mode,
          recording.timeoutSeconds,
          abr.enabled ? 1 : 0,
          abrLadderField(abr.ladder),
        ],
      );
      if (created === 1) return stream;
      if (created === -1) return null;
      if (created === -2) throw new TooManyStreamsError(maxStreams);
    }
    throw new InternalError(new Error(`no free stream id after ${MAX_ID_ATTEMPTS} attempts`));
  }

  /** The stream if it exists and belongs to `userId`. */
  async get(userId: string, id: string): Promise<Stream | null> {
    const stream = toStream(hashOrNull(await call(this.redis.hgetall(streamKey(id)))));
    return stream?.userId === userId ? stream : null;
  }

  /** The user's streams, oldest first (creation order, see creation-order.ts). */
  async list(userId: string): Promise<Stream[]> {
    const ids = await call(this.redis.zrange(userStreamsKey(userId), '0', '-1'));
    if (ids.length === 0) return [];
    const transaction = this.redis.multi();
    for (const id of ids) transaction.hgetall(streamKey(id));
    const replies = await exec(transaction);
    return replies.map((reply) => toStream(hashOrNull(reply))).filter((stream): stream is Stream => stream?.userId === userId);
  }

  async update(userId: string, id: string, changes: StreamChanges): Promise<Stream | null> {
    const fields: (string | number)[] = ['name', changes.name];
    if (changes.requireSignedUrls !== undefined) fields.push('require_signed_urls', changes.requireSignedUrls ? 1 : 0);
    if (changes.allowedOrigins !== undefined) fields.push('allowed_origins', JSON.stringify(changes.allowedOrigins));
    if (changes.recording?.mode !== undefined) fields.push('recording_mode', changes.recording.mode);
    if (changes.recording?.timeoutSeconds !== undefined) fields.push('recording_timeout_seconds', changes.recording.timeoutSeconds);
    if (changes.abr?.enabled !== undefined) fields.push('abr_enabled', changes.abr.enabled ? 1 : 0);
    if (changes.abr?.ladder !== undefined) fields.push('abr_ladder', abrLadderField(changes.abr.ladder));
    const reply = await UPDATE_STREAM.run(this.redis, [streamKey(id)], [userId, new Date(this.now()).toISOString(), ...fields]);
    return toStream(flatHash(reply));
  }

  /** Who may play the stream, whoever owns it (for the edges); null when it does not exist. */
  async playback(id: string): Promise<PlaybackPolicy | null> {
    const [exists, requireSignedUrls, allowedOrigins] = (await exec(
      this.redis.multi().exists(streamKey(id)).hget(streamKey(id), 'require_signed_urls').hget(streamKey(id), 'allowed_origins'),
    )) as [number, string | null, string | null];
    return exists === 1 ? toPlayback(requireSignedUrls, allowedOrigins) : null;
  }

  /**
   * Whether and how to record the stream's sessions, and its owner (whose quota applies), whoever
   * asks (for publish authorization and video reports); null when it does not exist.
   */
  async recording(id: string): Promise<{ settings: RecordingSettings; userId: string } | null> {
    const [mode, timeoutSeconds, userId] = (await call(
      this.redis.hmget(streamKey(id), 'recording_mode', 'recording_timeout_seconds', 'user_id'),
    )) as [string | null, string | null, string | null];
    return userId ? { settings: toRecording(mode, timeoutSeconds), userId } : null;
  }

  /** Sets (or clears, null) why the stream's latest session is not recorded; a deleted stream is left deleted. */
  async setRecordingStatus(id: string, status: RecordingStatus | null): Promise<void> {
    await SET_RECORDING_STATUS.run(this.redis, [streamKey(id)], [status ?? '']);
  }

  /** Whether the stream's sessions are transcoded into an ABR ladder, whoever owns it (for publish authorization); null when it does not exist. */
  async abr(id: string): Promise<AbrSettings | null> {
    const [exists, enabled, ladder] = (await exec(
      this.redis.multi().exists(streamKey(id)).hget(streamKey(id), 'abr_enabled').hget(streamKey(id), 'abr_ladder'),
    )) as [number, string | null, string | null];
    return exists === 1 ? toAbr(enabled, ladder) : null;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const keys = [streamKey(id), userStreamsKey(userId), streamVideosKey(id), ...streamOwnedKeys(id)];
    const deleted = await DELETE_STREAM.run(this.redis, keys, [userId, id, videoKey(ID_PLACEHOLDER)]);
    return deleted === 1;
  }

  /** Secrets and generations of a stream, whoever owns it (for publish authorization). */
  async credentials(id: string): Promise<StreamCredentials | null> {
    const [exists, secrets] = await exec(this.redis.multi().exists(streamKey(id)).hgetall(streamSecretsKey(id)));
    const hash = hashOrNull(secrets);
    if (exists !== 1 || !hash?.rtmp_secret || !hash.srt_secret) return null;
    return {
      secrets: { rtmp: hash.rtmp_secret, srt: hash.srt_secret },
      generations: { rtmp: Number(hash.rtmp_generation), srt: Number(hash.srt_generation) },
    };
  }

  /** The current key generations of each stream; null for a stream that no longer exists. */
  async generations(ids: readonly string[]): Promise<Map<string, Record<KeyProtocol, number> | null>> {
    const unique = [...new Set(ids)];
    const found = new Map<string, Record<KeyProtocol, number> | null>();
    if (unique.length === 0) return found;
    const transaction = this.redis.multi();
    for (const id of unique) transaction.exists(streamKey(id)).hmget(streamSecretsKey(id), 'rtmp_generation', 'srt_generation');
    const replies = await exec(transaction);
    unique.forEach((id, index) => {
      const exists = replies[2 * index];
      const [rtmp, srt] = (replies[2 * index + 1] ?? []) as (string | null)[];
      found.set(id, exists === 1 && rtmp && srt ? { rtmp: Number(rtmp), srt: Number(srt) } : null);
    });
    return found;
  }

  /** Puts a new secret in place for `protocol`; false when the stream is not the user's. */
  async resetKey(userId: string, id: string, protocol: KeyProtocol, secret: string): Promise<boolean> {
    const generation = await RESET_KEY.run(
      this.redis,
      [streamKey(id), streamSecretsKey(id), publisherKey(id)],
      [userId, `${protocol}_secret`, `${protocol}_generation`, secret, GENERATION_STEP],
    );
    return typeof generation === 'number' && generation > 0;
  }
}

function toStream(hash: Record<string, string> | null): Stream | null {
  if (!hash?.id || !hash.user_id || hash.name === undefined || !hash.created_at || !hash.updated_at) return null;
  return {
    id: hash.id,
    userId: hash.user_id,
    name: hash.name,
    createdAt: hash.created_at,
    updatedAt: hash.updated_at,
    playback: toPlayback(hash.require_signed_urls, hash.allowed_origins),
    recording: toRecording(hash.recording_mode, hash.recording_timeout_seconds),
    recordingStatus: RECORDING_STATUSES.find((known) => known === hash.recording_status) ?? null,
    abr: toAbr(hash.abr_enabled, hash.abr_ladder),
  };
}

/** Empty: the default ladder, so a later change of the default reaches the streams that kept it. */
function abrLadderField(ladder: AbrRung[] | null): string {
  return ladder === null ? '' : JSON.stringify(ladder);
}

/** A stream stored before ABR existed has neither field: no ABR, the default ladder. */
function toAbr(enabled: string | null | undefined, ladder: string | null | undefined): AbrSettings {
  return { enabled: enabled === '1', ladder: ladder ? (JSON.parse(ladder) as AbrRung[]) : null };
}

/** A stream stored before recording existed has neither field: it records, like a new one. */
function toRecording(mode: string | null | undefined, timeoutSeconds: string | null | undefined): RecordingSettings {
  return {
    mode: RECORDING_MODES.find((known) => known === mode) ?? DEFAULT_RECORDING.mode,
    timeoutSeconds: timeoutSeconds ? Number(timeoutSeconds) : DEFAULT_RECORDING.timeoutSeconds,
  };
}

/** A stream stored before these fields existed has neither: it plays openly. */
function toPlayback(requireSignedUrls: string | null | undefined, allowedOrigins: string | null | undefined): PlaybackPolicy {
  return {
    requireSignedUrls: requireSignedUrls === '1',
    allowedOrigins: allowedOrigins ? (JSON.parse(allowedOrigins) as string[]) : [],
  };
}

/** Parses HGETALL as a script returns it: a flat `[field, value, …]` array, or null. */
function flatHash(reply: unknown): Record<string, string> | null {
  if (!Array.isArray(reply)) return null;
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}
