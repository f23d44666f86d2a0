import { ADMIN_USER_ID } from './auth/authenticator.js';

/**
 * What one user may hold (MAX_STREAMS_PER_USER, MAX_TOKENS_PER_USER, FALLBACK_MAX_BYTES_PER_USER,
 * FALLBACK_MAX_UPLOADS_PER_USER) applies to every stored user, also when the admin acts for
 * one. The built-in admin's own streams and uploads are exempt: it is the operator, who sets
 * these limits and whose token can already delete everything, so a limit would protect nothing
 * and only get in the way of operator tooling (e.g. `npm start`'s demo stream). Bounds that
 * protect a process rather than share it out (targets per stream, uploads per API instance)
 * apply to everyone.
 */
export function limitFor(userId: string, limit: number): number {
  return userId === ADMIN_USER_ID ? Number.MAX_SAFE_INTEGER : limit;
}
