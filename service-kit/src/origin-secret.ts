/**
 * The edges' shared secret with the origins: an origin's HTTP (playlists, segments, recordings,
 * thumbnails) answers only requests carrying it, so a viewer cannot go around an edge (and its
 * signed-playback and allowed-sites checks) by asking an origin directly. A header rather than
 * mutual TLS: edges and origins speak plain HTTP on the private network behind HAProxy, and one
 * setting on each side (with a previous value accepted during a rotation) is all there is to run,
 * where mTLS would need a CA, a certificate per edge and TLS in every origin.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SettingError, readOptionalString, type Env } from './env-settings.js';

/** The request header an edge sends the secret in (never logged: request logs carry no headers). */
export const ORIGIN_SECRET_HEADER = 'x-origin-secret';

/** Shortest secret accepted: 128 bits as hex or base64url leave no room for guessing. */
export const MIN_ORIGIN_SECRET_LENGTH = 24;

/**
 * ORIGIN_SECRET (what an edge sends, and an origin accepts) and ORIGIN_SECRET_PREVIOUS (also
 * accepted by an origin while edges move to the new one). Unset: no secret (an origin open to
 * anyone who reaches its port, as on a developer's machine).
 */
export function readOriginSecrets(env: Env): { current: string | undefined; previous: string | undefined } {
  const read = (name: string) => {
    const value = readOptionalString(env, name);
    if (value !== undefined && value.length < MIN_ORIGIN_SECRET_LENGTH) {
      throw new SettingError(name, '(hidden)', `a secret of at least ${MIN_ORIGIN_SECRET_LENGTH} characters`);
    }
    return value;
  };
  const current = read('ORIGIN_SECRET');
  const previous = read('ORIGIN_SECRET_PREVIOUS');
  if (previous !== undefined && current === undefined) {
    throw new SettingError('ORIGIN_SECRET_PREVIOUS', '(hidden)', 'unset while ORIGIN_SECRET is unset (it is the old value during a rotation)');
  }
  return { current, previous };
}

/** True when `given` is one of `accepted`; compared as SHA-256 digests in constant time, so neither value nor length leaks. */
export function matchesOriginSecret(accepted: readonly string[], given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const digest = sha256(given);
  let match = false;
  for (const secret of accepted) match = timingSafeEqual(digest, sha256(secret)) || match;
  return match;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
