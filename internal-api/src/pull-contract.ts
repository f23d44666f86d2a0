import { Type, type Static } from 'typebox';
import { OriginId, StreamName, Timestamp } from './fields.js';

/**
 * Pull sources (issue 15, seed 002): a stream whose publisher is the platform itself. Origins
 * claim pulls every PULL_POLL_SECONDS; the API leases each pull to one origin at a time.
 */

/** connecting: the source is being opened; live: its media flows; retrying: it ended, the next attempt waits. */
export const PULL_STATES = ['connecting', 'live', 'retrying'] as const;
export const PullState = Type.Enum([...PULL_STATES]);
export type PullState = Static<typeof PullState>;

/** The longest reported error kept: a line of ffmpeg's output, its secrets already masked. */
export const PULL_ERROR_MAX_LENGTH = 300;

export const PullStatusReport = Type.Object({
  stream: StreamName,
  state: PullState,
  since: Timestamp,
  attempts: Type.Integer({ minimum: 0, description: 'Attempts since the source last went live' }),
  last_error: Type.Union([Type.String({ maxLength: PULL_ERROR_MAX_LENGTH }), Type.Null()], {
    description: 'Why the last attempt ended, with the URL\'s secrets masked',
  }),
});
export type PullStatusReport = Static<typeof PullStatusReport>;

/**
 * `POST /internal/pulls/claim`: an origin asks for its pulls (at most `max`) and reports how each
 * one it runs is doing. Pulls it held and is not given again are no longer its own: it stops them.
 */
export const PullClaim = Type.Object({
  origin_id: OriginId,
  max: Type.Integer({ minimum: 0, maximum: 1000, description: 'PULL_MAX_PER_ORIGIN: the most pulls this origin runs' }),
  statuses: Type.Array(PullStatusReport, { maxItems: 1000 }),
});
export type PullClaim = Static<typeof PullClaim>;

export const ClaimedPull = Type.Object({
  stream: StreamName,
  /** The source, with its secrets: for ffmpeg only, never logged. */
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** The stream's RTMP publish key (secret): the pull publishes with it, as any publisher. */
  stream_key: Type.String({ minLength: 1, maxLength: 256 }),
});
export type ClaimedPull = Static<typeof ClaimedPull>;

export const PullClaimAnswer = Type.Object({
  pulls: Type.Array(ClaimedPull),
  lease_seconds: Type.Integer({ minimum: 1, description: 'PULL_LEASE_SECONDS: claim again well within it, or the pulls move to another origin' }),
});
export type PullClaimAnswer = Static<typeof PullClaimAnswer>;
