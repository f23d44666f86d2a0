import type { DeliveryDirectives } from '../../../llhls-contract/src/delivery-directives.js';

/**
 * Blocking Playlist Reload (RFC 8216bis 6.2.5.2) as pure decisions: given where the playlist is
 * and what a request asks for, answer now, wait, or refuse. No clock, no I/O: the waiting itself
 * is ReloadWaiters', the answering the HTTP layer's.
 */

/** What the decisions read from a playlist; LowLatencyPlaylist is one. */
export interface ReloadPosition {
  /** EXT-X-ENDLIST: directives are ignored (6.2.5.2). */
  readonly ended: boolean;
  /** Sequence number of the segment in progress: every lower one still listed is finished. */
  readonly nextMediaSequence: number;
  /** Parts of the segment in progress so far. */
  readonly openPartCount: number;
  /** How many parts a finished segment had; undefined once it left the playlist. */
  partCountOf(mediaSequenceNumber: number): number | undefined;
  readonly targetDurationSeconds: number;
  readonly partTargetSeconds: number;
}

/** What a blocked request waits for: segment `mediaSequenceNumber` finished, or its part `partIndex` listed. */
export interface ReloadTarget {
  mediaSequenceNumber: number;
  partIndex?: number;
}

export type ReloadDecision =
  /** Send the playlist (rendered with the request's `_HLS_skip`) now. */
  | { kind: 'now' }
  /** Hold the request until the playlist holds `target`, at most `timeoutMs`. */
  | { kind: 'wait'; target: ReloadTarget; timeoutMs: number }
  /** Answer 400 at once. */
  | { kind: 'refuse'; status: 400; reason: string };

/**
 * A server that cannot answer after blocking for more than three target durations should answer
 * 503 Service Unavailable (6.2.5.2); hls.js then retries without directives.
 */
export const BLOCKING_TIMEOUT_TARGET_DURATIONS = 3;
export const BLOCKING_TIMEOUT_STATUS = 503;

/** A request more than this many segments past the last one is refused (6.2.5.2). */
const MAX_SEGMENTS_AHEAD = 2;

/**
 * The Advance Part Limit (6.2.5.2): how many parts past the last one a request may ask for: three
 * divided by the part target if that is under a second (three seconds of parts), else three.
 */
export function advancePartLimit(partTargetSeconds: number): number {
  return partTargetSeconds < 1 ? 3 / partTargetSeconds : 3;
}

export function blockingTimeoutMs(position: Pick<ReloadPosition, 'targetDurationSeconds'>): number {
  return BLOCKING_TIMEOUT_TARGET_DURATIONS * position.targetDurationSeconds * 1000;
}

/**
 * The target as the playlist will satisfy it, or undefined if it already does. A request for a
 * part past the last one of a finished segment is one for part 0 of the next segment (6.2.5.2);
 * one for a segment that has left the playlist is satisfied: the whole playlist is sent, as the
 * spec asks, whether or not it still lists the segment.
 */
export function pendingTarget(position: ReloadPosition, target: ReloadTarget): ReloadTarget | undefined {
  let { mediaSequenceNumber, partIndex } = target;
  while (mediaSequenceNumber < position.nextMediaSequence) {
    const partCount = position.partCountOf(mediaSequenceNumber);
    if (partIndex === undefined || partCount === undefined || partIndex < partCount) return undefined;
    mediaSequenceNumber += 1;
    partIndex = 0;
  }
  const inProgress = mediaSequenceNumber === position.nextMediaSequence;
  if (inProgress && partIndex !== undefined && partIndex < position.openPartCount) return undefined;
  return partIndex === undefined ? { mediaSequenceNumber } : { mediaSequenceNumber, partIndex };
}

/** The playlist holds what `target` asks for (an ended playlist holds everything). */
export function holds(position: ReloadPosition, target: ReloadTarget): boolean {
  return position.ended || pendingTarget(position, target) === undefined;
}

export function decideReload(position: ReloadPosition, directives: DeliveryDirectives): ReloadDecision {
  if (position.ended) return { kind: 'now' };
  const { msn, part } = directives;
  if (msn === undefined) {
    if (part !== undefined) return refuse(`_HLS_part=${part} without _HLS_msn`);
    // Nothing to list yet: an empty playlist tells a player nothing, and a 404 would make it back
    // off. Wait for the first part instead, as if it had been asked for.
    if (!hasMedia(position)) return wait(position, { mediaSequenceNumber: position.nextMediaSequence, partIndex: 0 });
    return { kind: 'now' };
  }
  const target = pendingTarget(position, { mediaSequenceNumber: msn, partIndex: part });
  if (!target) return { kind: 'now' };

  // The last segment is the one in progress once it has a part.
  const lastMediaSequence = position.nextMediaSequence - (position.openPartCount > 0 ? 0 : 1);
  if (target.mediaSequenceNumber > lastMediaSequence + MAX_SEGMENTS_AHEAD) {
    return refuse(
      `_HLS_msn=${msn} is more than ${MAX_SEGMENTS_AHEAD} segments past the last one (${lastMediaSequence})`,
    );
  }
  if (target.partIndex !== undefined) {
    const ahead = partsAhead(position, target.mediaSequenceNumber, target.partIndex);
    const limit = advancePartLimit(position.partTargetSeconds);
    if (ahead > limit) {
      return refuse(
        `_HLS_part=${part} of _HLS_msn=${msn} is ${ahead} parts past the last one, ` +
          `over the limit of ${limit.toFixed(2)}`,
      );
    }
  }
  return wait(position, target);
}

/**
 * How many parts must still come before the target is listed, at the least: the missing parts of
 * its segment, and one part for each segment before it that has none yet. Segments may end
 * earlier than planned, so only this lower bound is certain.
 */
function partsAhead(position: ReloadPosition, mediaSequenceNumber: number, partIndex: number): number {
  const next = position.nextMediaSequence;
  if (mediaSequenceNumber === next) return partIndex + 1 - position.openPartCount;
  const emptySegmentsBefore = mediaSequenceNumber - next - 1 + (position.openPartCount === 0 ? 1 : 0);
  return partIndex + 1 + emptySegmentsBefore;
}

/** Whether anything has been listed: a finished segment (the last one is just before the one in progress) or a part. */
function hasMedia(position: ReloadPosition): boolean {
  return position.openPartCount > 0 || position.partCountOf(position.nextMediaSequence - 1) !== undefined;
}

function wait(position: ReloadPosition, target: ReloadTarget): ReloadDecision {
  return { kind: 'wait', target, timeoutMs: blockingTimeoutMs(position) };
}

function refuse(reason: string): ReloadDecision {
  return { kind: 'refuse', status: 400, reason };
}
