import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Compares two secrets in time independent of where they differ. Both sides are hashed first so
 * the buffers have equal length and the length of the expected secret does not leak either.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** Compares a presented secret with a stored SHA-256 digest (hex). */
export function matchesDigest(presented: string, digestHex: string): boolean {
  const expected = Buffer.from(digestHex, 'hex');
  const actual = sha256(presented);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
