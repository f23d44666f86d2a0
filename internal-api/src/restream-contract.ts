import { Type, type Static } from 'typebox';
import { OriginId, RANDOM_ID_PATTERN, StreamName, Timestamp } from './fields.js';

/** The states of a push, as origins report them and /v1 shows them. */
export const RESTREAM_STATES = ['idle', 'connecting', 'live', 'retrying', 'failed', 'disabled'] as const;
export const RestreamState = Type.Enum([...RESTREAM_STATES]);

/** Seed 002's `attempts` and `delayS`, and what a target gets when it does not say. */
export const DEFAULT_RETRY = { attempts: 3, delayS: 2 } as const;

export const RetryAttempts = Type.Integer({
  minimum: 0,
  maximum: 1000,
  description:
    `Refusals in a row (wrong stream key, TLS or protocol failure) before the target ends \`failed\`; 0 = never give up. ` +
    `Network errors are retried for as long as the stream is live whatever this says. Default ${DEFAULT_RETRY.attempts}.`,
});

export const RetryDelay = Type.Number({
  minimum: 0.1,
  maximum: 3600,
  description:
    `Seconds before the first retry; the origin doubles it after each failure up to its cap ` +
    `(RESTREAM_RETRY_MAX_DELAY_S) and spreads it with jitter. Default ${DEFAULT_RETRY.delayS}.`,
});

export const Retry = Type.Object({ attempts: RetryAttempts, delay_s: RetryDelay });

export const RestreamParams = Type.Object({ id: StreamName });

/**
 * `GET /internal/streams/{id}/restream`: a stream's restream targets with their REAL keys, and its
 * fallback video, for the origin holding it (when the version in its heartbeat answer changes).
 * An open name answers `{version: 0, targets: [], fallback: null}`; an unknown stream is 404.
 */
export const RestreamConfig = Type.Object({
  version: Type.Integer({ minimum: 0, description: "The stream's restream version, as the heartbeat answer names it; 0: never configured" }),
  targets: Type.Array(
    Type.Object({
      id: Type.String(),
      url: Type.String({ description: 'rtmp:// or rtmps:// base URL; publish to <url>/<stream_key>' }),
      stream_key: Type.String({ description: 'The REAL key (secret): never log it, never put it in a status' }),
      enabled: Type.Boolean({ description: 'A disabled target is reported as `disabled` and not pushed to' }),
      retry: Retry,
    }),
  ),
  fallback: Type.Union(
    [
      Type.Object({
        version: Type.Integer({ minimum: 0, description: 'Changes only when the video does: cache the file by it' }),
        url: Type.String({ description: 'Path on the internal listener to download the FLV from' }),
      }),
      Type.Null(),
    ],
    { description: 'null: no fallback video' },
  ),
});
export type RestreamConfig = Static<typeof RestreamConfig>;

/** A push's last error as origins report it: the full form, or only its message. */
export const ReportedLastError = Type.Union([
  Type.Object({
    code: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
    message: Type.String({ maxLength: 1024 }),
    at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  }),
  Type.String({ maxLength: 1024, description: 'Only the message' }),
  Type.Null(),
]);
export type ReportedLastError = Static<typeof ReportedLastError>;

const Count = Type.Integer({ minimum: 0 });

/** A push's status as the origin holding the stream reports it. Never holds the target's key. */
export const ReportedStatus = Type.Object({
  id: Type.String({ pattern: RANDOM_ID_PATTERN, description: 'Target id' }),
  state: RestreamState,
  since: Timestamp,
  bytes_sent: Count,
  bitrate_bps: Count,
  attempts: Count,
  last_error: Type.Optional(ReportedLastError),
  next_retry_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  skipped_keyframes: Count,
});
export type ReportedStatus = Static<typeof ReportedStatus>;

/** More targets than RESTREAM_MAX_TARGETS can allow; bounds the work one report can cause. */
export const MAX_REPORTED_TARGETS = 100;

/**
 * `PUT /internal/streams/{id}/restream-status`: the origin's report of each push, on every state
 * change and every few seconds while live; shown for RESTREAM_STATUS_TTL_SECONDS.
 */
export const StatusReport = Type.Object({
  origin_id: OriginId,
  targets: Type.Array(ReportedStatus, { maxItems: MAX_REPORTED_TARGETS }),
});
export type StatusReport = Static<typeof StatusReport>;

/**
 * `GET /internal/streams/{id}/fallback`: the converted fallback video (FLV, H.264 + AAC). This
 * header (and the ETag) names the version served, which may be newer than the one asked for.
 */
export const FALLBACK_VERSION_HEADER = 'x-fallback-version';
export const FALLBACK_CONTENT_TYPE = 'video/x-flv';
