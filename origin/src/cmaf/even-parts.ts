/**
 * Where a segment's parts end when a hard part ceiling (LL-HLS PART-TARGET) meets a frame rate
 * that does not divide it: cut every part as full as the ceiling allows, and the frames left
 * over at the segment's end make a short last part. At 25 fps under a 0.34 s ceiling that is
 * six parts of 8 frames and one of 2 (0.08 s): hls.js counts a segment as buffered 0.2 s before
 * its end, never loads that part, and stalls over the hole. Spread instead: the previous
 * segment's length (GOPs are regular in practice) gives the frames to expect; the fewest parts
 * of at most the ceiling that hold them share them evenly, 7 or 8 frames each at 25 fps.
 * Pure arithmetic on one track's timescale.
 */
export interface EvenParts {
  /** Frames the segment is expected to hold. */
  readonly frames: number;
  /** Parts to share them. */
  readonly parts: number;
  /** One frame, in ticks. */
  readonly frameTicks: number;
}

/**
 * The plan for the segment after one of `frames` frames of `frameTicks` each on average (RTMP's
 * millisecond timestamps make single frames 33 and 34 ms at 30 fps), with no part longer than
 * `maxPartTicks` once a frame is allowed `slackTicks` of jitter (the fragmenter's overrun rule).
 * Undefined when there is nothing to spread: no ceiling, or one part holds it all.
 */
export function planEvenParts(frames: number, frameTicks: number, maxPartTicks: number, slackTicks: number): EvenParts | undefined {
  if (!Number.isFinite(maxPartTicks) || !(frameTicks > 0) || !(frames > 0)) return undefined;
  const framesPerPart = Math.floor((maxPartTicks - slackTicks) / frameTicks);
  if (framesPerPart < 1) return undefined;
  const parts = Math.ceil(frames / framesPerPart);
  return parts > 1 ? { frames, parts, frameTicks } : undefined;
}

/**
 * Where part `index` (from 1) of the segment ends, in ticks from the segment's start; undefined
 * for the plan's last part and beyond, which end with the segment (or, if the keyframe is late,
 * at the ceiling as without a plan).
 */
export function evenPartEnd(plan: EvenParts, index: number): number | undefined {
  if (index >= plan.parts) return undefined;
  return Math.round((index * plan.frames) / plan.parts) * plan.frameTicks;
}
