import { Type, type Static } from '@fastify/type-provider-typebox';
import { RestreamState, RetryAttempts, RetryDelay, type ReportedLastError } from '../../../internal-api/src/restream-contract.js';
import { Timestamp } from '../schemas.js';
import type { ReportedTargetStatus } from '../store/restream-status-store.js';
import { PLATFORMS } from './platforms.js';
import { TARGET_URL_MAX_LENGTH } from './target-url.js';

/**
 * Wire schemas of restreaming in the /v1 routes. What origins send and read (retry settings,
 * push states, reported statuses) is the internal contract's (internal-api/src/restream-contract.ts).
 */
export { DEFAULT_RETRY, Retry } from '../../../internal-api/src/restream-contract.js';

export const RetryChanges = Type.Object({ attempts: Type.Optional(RetryAttempts), delay_s: Type.Optional(RetryDelay) }, { minProperties: 1 });

export const PlatformName = Type.Enum([...PLATFORMS], {
  description: 'twitch, youtube, kick and facebook push to their ingest (a setting); custom needs stream_url',
});

/** A target's stream key: a secret, write-only (answers show it masked). */
export const TargetStreamKey = Type.String({
  minLength: 1,
  maxLength: 512,
  pattern: '^[\\x21-\\x7e]+$',
  description: "The platform's stream key (secret): printable ASCII without spaces. Answers show it masked, e.g. ****a1b2",
});

export const TargetStreamUrl = Type.String({
  minLength: 1,
  maxLength: TARGET_URL_MAX_LENGTH,
  description:
    'rtmp:// or rtmps:// ingest URL with its application path, without credentials, e.g. rtmp://a.rtmp.youtube.com/live2; ' +
    'the origin publishes to <stream_url>/<stream_key>. Its host must resolve to public addresses.',
});

/** A push's last error in /v1 answers. */
export const LastError = Type.Union([
  Type.Object({
    code: Type.Union([Type.String(), Type.Null()], { description: 'RESTREAM_REFUSED, RESTREAM_UNREACHABLE or RESTREAM_TIMED_OUT' }),
    message: Type.String({ description: '"refused", "unreachable" or "timed out", no more (the origin logs the details)' }),
    at: Type.Union([Timestamp, Type.Null()]),
  }),
  Type.Null(),
]);

/** The full form of a reported error. */
export function normalizeLastError(reported: ReportedLastError | undefined): Static<typeof LastError> {
  if (reported === undefined || reported === null) return null;
  if (typeof reported === 'string') return { code: null, message: reported, at: null };
  return { code: reported.code ?? null, message: reported.message, at: reported.at ?? null };
}

/** A target's status in /v1 answers: the origin's last report, while it is current. */
export const TargetStatusBody = Type.Object({
  state: RestreamState,
  since: Timestamp,
  bytes_sent: Type.Integer(),
  bitrate_bps: Type.Integer(),
  attempts: Type.Integer({ description: 'Connection attempts since the target last worked' }),
  last_error: LastError,
  next_retry_at: Type.Union([Timestamp, Type.Null()], { description: 'While retrying: when the next attempt starts' }),
  skipped_keyframes: Type.Integer({ description: 'Times the target fell behind and the push skipped to the next keyframe' }),
  reported_at: Timestamp,
});

/** A reported status as /v1 answers show it; null when no origin reports the target. */
export function statusBody(status: ReportedTargetStatus | undefined): Static<typeof TargetStatusBody> | null {
  if (!status) return null;
  return {
    state: status.state,
    since: status.since,
    bytes_sent: status.bytesSent,
    bitrate_bps: status.bitrateBps,
    attempts: status.attempts,
    last_error: status.lastError,
    next_retry_at: status.nextRetryAt,
    skipped_keyframes: status.skippedKeyframes,
    reported_at: status.reportedAt,
  };
}
