/**
 * How long a playlist may be reused, at the edge and by a CDN in front. A live playlist changes
 * about once a target duration, so it is reused at most half of one: a player never sees it more
 * than half a segment late. An ended stream's final playlist (`#EXT-X-ENDLIST`) no longer changes
 * and is kept until the stream's grace period ends. No clock here: the time is an argument.
 *
 * A Low-Latency playlist (`#EXT-X-PART-INF`) changes with every part, about three times a second:
 * - Without delivery directives it is reused for half a PART-TARGET, the same rule with the part
 *   as the unit of change. A viewer sees it at most half a part late (and an LL player asks for
 *   the next part with a blocking request right after), while an edge with any number of viewers
 *   polling it asks its origin at most about six times a second. A CDN gets `no-cache`: its
 *   `max-age` counts whole seconds, three parts too many; it revalidates with the ETag instead.
 * - The answer to a blocking request (`_HLS_msn`) holds at least the part it asked for, so it
 *   stays a right answer to that same query: it is reused as long as the origin's `max-age`
 *   says, and that `max-age` is passed on.
 *
 * A DASH manifest (`<MPD`) is a playlist too: its `minimumUpdatePeriod` (how often players reload
 * it, about once a segment) stands for the target duration, and one without it no longer changes
 * (the origin drops it when the stream ends), as `#EXT-X-ENDLIST`.
 */

/** What the edge reads from a playlist's text. */
export interface PlaylistFacts {
  /** `#EXT-X-TARGETDURATION` in seconds; undefined in a multivariant playlist or a malformed one. */
  targetDurationS: number | undefined;
  /** `#EXT-X-ENDLIST` is present. */
  hasEndList: boolean;
  /** `#EXT-X-PART-INF:PART-TARGET` in seconds: a Low-Latency playlist. */
  partTargetS?: number;
  /** The answer to a blocking request: the origin's `max-age` in seconds (0: it may not be reused). */
  blockingMaxAgeS?: number;
}

/** What the route says about the stream the playlist belongs to. */
export interface PlaylistRoute {
  ended: boolean;
  /** When an ended stream stops being served (unix ms); undefined while live. */
  endsAtMs: number | undefined;
}

export interface PlaylistLifetime {
  /** How long the edge reuses the playlist. */
  cacheMs: number;
  /** True for the final playlist of an ended stream (kept until the grace end). */
  ended: boolean;
  /** A Low-Latency playlist: its `max-age` may be 0, since one second is three parts. */
  lowLatency?: true;
}

/** Reuse when the playlist names no target duration. */
export const FALLBACK_CACHE_MS = 1_000;

const TARGET_DURATION = /^#EXT-X-TARGETDURATION:\s*([0-9]+(?:\.[0-9]+)?)\s*$/m;
const END_LIST = /^#EXT-X-ENDLIST\s*$/m;
const PART_TARGET = /^#EXT-X-PART-INF:(?:.*,)?PART-TARGET=([0-9]+(?:\.[0-9]+)?)\s*(?:,.*)?$/m;

const MPD_ROOT = /<MPD[\s>]/;
const MINIMUM_UPDATE_PERIOD = /<MPD\b[^>]*\sminimumUpdatePeriod="PT([0-9]+(?:\.[0-9]+)?)S"/;

export function readPlaylistFacts(text: string): PlaylistFacts {
  if (MPD_ROOT.test(text)) return readManifestFacts(text);
  const targetDurationS = positive(TARGET_DURATION.exec(text)?.[1]);
  const partTargetS = positive(PART_TARGET.exec(text)?.[1]);
  const facts: PlaylistFacts = { targetDurationS, hasEndList: END_LIST.test(text) };
  if (partTargetS !== undefined) facts.partTargetS = partTargetS;
  return facts;
}

/** A DASH manifest's facts; an update period in other units than seconds counts as none known. */
function readManifestFacts(text: string): PlaylistFacts {
  const live = /<MPD\b[^>]*\sminimumUpdatePeriod="/.test(text);
  return { targetDurationS: positive(MINIMUM_UPDATE_PERIOD.exec(text)?.[1]), hasEndList: !live };
}

function positive(decimal: string | undefined): number | undefined {
  const value = decimal === undefined ? undefined : Number(decimal);
  return value !== undefined && value > 0 ? value : undefined;
}

/**
 * The edge's reuse time. A final playlist is only final while the route says the stream ended:
 * with a live route (the publisher came back) it is treated as live.
 */
export function playlistLifetime(facts: PlaylistFacts, route: PlaylistRoute, nowMs: number): PlaylistLifetime {
  if (facts.hasEndList && route.ended && route.endsAtMs !== undefined && route.endsAtMs > nowMs) {
    return { cacheMs: route.endsAtMs - nowMs, ended: true };
  }
  if (facts.blockingMaxAgeS !== undefined) return { cacheMs: facts.blockingMaxAgeS * 1_000, ended: false, lowLatency: true };
  if (facts.partTargetS !== undefined) return { cacheMs: (facts.partTargetS * 1_000) / 2, ended: false, lowLatency: true };
  const cacheMs = facts.targetDurationS === undefined ? FALLBACK_CACHE_MS : (facts.targetDurationS * 1_000) / 2;
  return { cacheMs, ended: false };
}

/**
 * `Cache-Control: max-age` for the viewer or CDN: whole seconds, at least 1 (a CDN in front then
 * still shields the edge). A final playlist gets `endedMaxAgeS`, never past the grace end. A
 * Low-Latency one gets its lifetime rounded down, 0 under a second.
 */
export function playlistMaxAgeS(lifetime: PlaylistLifetime, endedMaxAgeS: number): number {
  const seconds = lifetime.ended ? Math.min(endedMaxAgeS, lifetime.cacheMs / 1_000) : lifetime.cacheMs / 1_000;
  return Math.max(lifetime.lowLatency && !lifetime.ended ? 0 : 1, Math.floor(seconds));
}

/** The `max-age` of an origin's `Cache-Control`, 0 with `no-cache`, `no-store` or none. */
export function originMaxAgeS(cacheControl: string | undefined): number {
  if (cacheControl === undefined || /(?:^|,)\s*no-(?:cache|store)\b/i.test(cacheControl)) return 0;
  const maxAge = /(?:^|,)\s*max-age=([0-9]+)\s*(?:,|$)/i.exec(cacheControl)?.[1];
  return maxAge === undefined ? 0 : Number(maxAge);
}
