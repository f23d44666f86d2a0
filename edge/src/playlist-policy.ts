/**
 * How long a playlist may be reused, at the edge and by a CDN in front. A live playlist changes
 * about once a target duration, so it is reused at most half of one: a player never sees it more
 * than half a segment late. An ended stream's final playlist (`#EXT-X-ENDLIST`) no longer changes
 * and is kept until the stream's grace period ends. No clock here: the time is an argument.
 */

/** What the edge reads from a playlist's text. */
export interface PlaylistFacts {
  /** `#EXT-X-TARGETDURATION` in seconds; undefined in a multivariant playlist or a malformed one. */
  targetDurationS: number | undefined;
  /** `#EXT-X-ENDLIST` is present. */
  hasEndList: boolean;
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
}

/** Reuse when the playlist names no target duration. */
export const FALLBACK_CACHE_MS = 1_000;

const TARGET_DURATION = /^#EXT-X-TARGETDURATION:\s*([0-9]+(?:\.[0-9]+)?)\s*$/m;
const END_LIST = /^#EXT-X-ENDLIST\s*$/m;

export function readPlaylistFacts(text: string): PlaylistFacts {
  const duration = TARGET_DURATION.exec(text)?.[1];
  const seconds = duration === undefined ? undefined : Number(duration);
  return {
    targetDurationS: seconds !== undefined && seconds > 0 ? seconds : undefined,
    hasEndList: END_LIST.test(text),
  };
}

/**
 * The edge's reuse time. A final playlist is only final while the route says the stream ended:
 * with a live route (the publisher came back) it is treated as live.
 */
export function playlistLifetime(facts: PlaylistFacts, route: PlaylistRoute, nowMs: number): PlaylistLifetime {
  if (facts.hasEndList && route.ended && route.endsAtMs !== undefined && route.endsAtMs > nowMs) {
    return { cacheMs: route.endsAtMs - nowMs, ended: true };
  }
  const cacheMs = facts.targetDurationS === undefined ? FALLBACK_CACHE_MS : (facts.targetDurationS * 1_000) / 2;
  return { cacheMs, ended: false };
}

/**
 * `Cache-Control: max-age` for the viewer or CDN: whole seconds, at least 1 (a CDN in front then
 * still shields the edge). A final playlist gets `endedMaxAgeS`, never past the grace end.
 */
export function playlistMaxAgeS(lifetime: PlaylistLifetime, endedMaxAgeS: number): number {
  const seconds = lifetime.ended ? Math.min(endedMaxAgeS, lifetime.cacheMs / 1_000) : lifetime.cacheMs / 1_000;
  return Math.max(1, Math.floor(seconds));
}
