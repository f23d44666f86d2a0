import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * JWS compact serialization with HS256 only (RFC 7515 §7.1, RFC 7518 §3.2): exactly what any
 * JWT library produces for `{alg: "HS256"}`. No other algorithm is accepted, so a token cannot
 * pick a weaker one ("alg": "none") or make the verifier treat the secret as a public key.
 */

/** Longer input is refused before any decoding: a playback token is a few hundred characters. */
export const MAX_TOKEN_LENGTH = 4096;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** An HMAC-SHA256 signature: 32 bytes, 43 base64url characters without padding. */
const SIGNATURE_LENGTH = 43;

export type JwsFailure = 'malformed' | 'unsupported-algorithm' | 'bad-signature';

export type JwsDecoded =
  | { readonly ok: true; readonly payload: Record<string, unknown> }
  | { readonly ok: false; readonly failure: JwsFailure };

/** Signs `payload` as a compact JWS with header `{"alg":"HS256","typ":"JWT"}`. */
export function signHs256(payload: Record<string, unknown>, secret: string | Buffer): string {
  const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT' })}.${encodeJson(payload)}`;
  return `${signingInput}.${hs256(signingInput, secret)}`;
}

/**
 * The payload of `token` when its header says HS256 and its signature is `secret`'s; the
 * signature is compared in constant time, as the exact base64url text (so each token has one
 * spelling). Claims are not checked here.
 */
export function verifyHs256(token: string, secret: string | Buffer): JwsDecoded {
  const parts = splitToken(token);
  if (!parts) return { ok: false, failure: 'malformed' };
  const header = decodeJson(parts.header);
  if (!header) return { ok: false, failure: 'malformed' };
  if (header.alg !== 'HS256') return { ok: false, failure: 'unsupported-algorithm' };
  // A critical extension we do not implement must make the token unusable (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return { ok: false, failure: 'unsupported-algorithm' };
  const expected = Buffer.from(hs256(`${parts.header}.${parts.payload}`, secret));
  const presented = Buffer.from(parts.signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, failure: 'bad-signature' };
  const payload = decodeJson(parts.payload);
  if (!payload) return { ok: false, failure: 'malformed' };
  return { ok: true, payload };
}

/** The payload as the token claims it, signature NOT checked: only to pick which key to try. */
export function unverifiedPayload(token: string): Record<string, unknown> | null {
  const parts = splitToken(token);
  return parts ? decodeJson(parts.payload) : null;
}

function splitToken(token: string): { header: string; payload: string; signature: string } | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  if (!BASE64URL.test(header) || !BASE64URL.test(payload) || signature.length !== SIGNATURE_LENGTH || !BASE64URL.test(signature)) {
    return null;
  }
  return { header, payload, signature };
}

function hs256(signingInput: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(signingInput, 'ascii').digest('base64url');
}

function encodeJson(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A JSON object, or null for anything else (invalid UTF-8 or JSON, an array, a number). */
function decodeJson(segment: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url')));
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
