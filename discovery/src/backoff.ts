export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `failures` (0 for the first): doubles from `initialMs` up to `maxMs`,
 * then "equal jitter" keeps it within [d/2, d] so many origins that lost the same API do not
 * retry in lockstep, while no retry comes back immediately.
 */
export function backoffDelayMs(failures: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
