import { createHmac } from 'node:crypto';
import { signHs256, unverifiedPayload, verifyHs256, type JwsFailure } from './compact-jws.js';

/**
 * Playback tokens: compact JWTs (RFC 7519) signed with HS256, payload `{sub, iat, exp}` where
 * `sub` is the stream id and `exp`/`iat` are NumericDates (unix seconds). The API issues them,
 * every edge checks them locally; pure functions, no clock and no I/O.
 *
 * Each stream has its own HMAC secret, derived from PLAYBACK_SIGNING_KEY (see
 * streamSigningSecret): the operator's key never leaves the API and the edges, and a stream's
 * owner may be given their stream's secret to mint tokens with any JWT library without being
 * able to mint tokens for anybody else's stream.
 */

/** PLAYBACK_SIGNING_KEY must be at least this long (and is used as its UTF-8 bytes). */
export const MIN_SIGNING_KEY_LENGTH = 32;

/** Domain separation for the derived secrets; a new version would make every token invalid. */
const STREAM_SECRET_LABEL = 'livestack playback token v1\0';

export interface PlaybackTokenClaims {
  streamId: string;
  /** `iat`; whole seconds are kept. */
  issuedAtMs: number;
  /** `exp`; whole seconds are kept (rounded down). */
  expiresAtMs: number;
}

export type InvalidTokenReason =
  | JwsFailure
  /** No `sub` claim. */
  | 'missing-subject'
  /** No numeric `exp` claim: a token that never expires is refused. */
  | 'missing-expiry'
  /** `nbf` is in the future. */
  | 'not-yet-valid';

export type PlaybackTokenCheck =
  | { readonly result: 'ok'; readonly expiresAtMs: number }
  | { readonly result: 'expired'; readonly expiredAtMs: number }
  /** Validly signed, but for another stream. */
  | { readonly result: 'wrong-stream' }
  | { readonly result: 'invalid'; readonly reason: InvalidTokenReason };

/**
 * The HS256 secret of one stream's tokens: base64url(HMAC-SHA256(signing key, label + stream id)),
 * 43 characters, used as a JWT library uses any string secret (its UTF-8 bytes).
 */
export function streamSigningSecret(streamId: string, signingKey: string): string {
  checkSigningKey(signingKey);
  return createHmac('sha256', signingKey).update(STREAM_SECRET_LABEL + streamId, 'utf8').digest('base64url');
}

export function signPlaybackToken({ streamId, issuedAtMs, expiresAtMs }: PlaybackTokenClaims, signingKey: string): string {
  const payload = { sub: streamId, iat: Math.floor(issuedAtMs / 1000), exp: Math.floor(expiresAtMs / 1000) };
  return signHs256(payload, streamSigningSecret(streamId, signingKey));
}

/**
 * Whether `token` lets its holder play `streamId` at `nowMs`. Only HS256 with the stream's secret
 * is accepted; `sub` must be the stream, `exp` must be present and in the future (`nowMs` at or
 * past it is expired), and `nbf`, when present, must have passed.
 */
export function verifyPlaybackToken(token: string, streamId: string, signingKey: string, nowMs: number): PlaybackTokenCheck {
  const decoded = verifyHs256(token, streamSigningSecret(streamId, signingKey));
  if (!decoded.ok) {
    if (decoded.failure === 'bad-signature' && signedForAnotherStream(token, streamId, signingKey)) return { result: 'wrong-stream' };
    return invalid(decoded.failure);
  }
  const { sub, exp, nbf } = decoded.payload;
  if (typeof sub !== 'string') return invalid('missing-subject');
  if (sub !== streamId) return { result: 'wrong-stream' };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return invalid('missing-expiry');
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) return invalid('malformed');
    if (nowMs < nbf * 1000) return invalid('not-yet-valid');
  }
  const expiresAtMs = exp * 1000;
  if (nowMs >= expiresAtMs) return { result: 'expired', expiredAtMs: expiresAtMs };
  return { result: 'ok', expiresAtMs };
}

/**
 * verifyPlaybackToken against each of `signingKeys` (the current key, then the previous one during
 * a rotation): a token signed with any of them is judged by its claims; one signed with none is
 * the current key's verdict. So tokens issued before a rotation play until they expire.
 */
export function verifyPlaybackTokenWithKeys(token: string, streamId: string, signingKeys: readonly string[], nowMs: number): PlaybackTokenCheck {
  let first: PlaybackTokenCheck | undefined;
  for (const key of signingKeys) {
    const check = verifyPlaybackToken(token, streamId, key, nowMs);
    if (!(check.result === 'invalid' && check.reason === 'bad-signature')) return check;
    first ??= check;
  }
  if (first === undefined) throw new RangeError('no playback signing key to verify with');
  return first;
}

/** A token made for the stream its `sub` names, shown on another stream's URL. */
function signedForAnotherStream(token: string, streamId: string, signingKey: string): boolean {
  const sub = unverifiedPayload(token)?.sub;
  if (typeof sub !== 'string' || sub === streamId || sub.length > 128) return false;
  return verifyHs256(token, streamSigningSecret(sub, signingKey)).ok;
}

function invalid(reason: InvalidTokenReason): PlaybackTokenCheck {
  return { result: 'invalid', reason };
}

function checkSigningKey(signingKey: string): void {
  if (signingKey.length < MIN_SIGNING_KEY_LENGTH) {
    throw new RangeError(`the playback signing key must have at least ${MIN_SIGNING_KEY_LENGTH} characters`);
  }
}
