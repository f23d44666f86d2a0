/**
 * When a push tries again (seed 002's `attempts` and `delayS`, plus backoff). Network trouble
 * is retried for as long as the stream is live, with exponential backoff up to a cap; refusals
 * (wrong key, bad certificate) end the push after `attempts` of them in a row.
 */

export interface RetryPolicy {
  /** Refusals in a row before the push ends `failed`; 0 never gives up. */
  attempts: number;
  /** Delay before the first retry, seconds. */
  delayS: number;
  /** Backoff doubles the delay up to this, seconds. */
  maxDelayS: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter], so targets spread out. */
  jitter: number;
}

/** `failures`: failed attempts in a row, 1 for the first retry. */
export function retryDelayMs(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const base = Math.min(policy.delayS * 2 ** exponent, Math.max(policy.maxDelayS, policy.delayS));
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(base * factor * 1000);
}

export function shouldGiveUp(policy: RetryPolicy, refusalsInARow: number): boolean {
  return policy.attempts > 0 && refusalsInARow >= policy.attempts;
}
