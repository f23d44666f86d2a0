/** Keys shorter than this show nothing of themselves: four characters would give too much away. */
const MIN_LENGTH_TO_HINT = 12;

/**
 * A target's stream key as /v1 answers show it: `****` plus the last 4 characters, so a user
 * can tell which key is set without the answer (or a log of it) revealing the key.
 */
export function maskStreamKey(key: string): string {
  return key.length >= MIN_LENGTH_TO_HINT ? `****${key.slice(-4)}` : '****';
}
