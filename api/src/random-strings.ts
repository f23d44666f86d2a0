import { randomInt } from 'node:crypto';

const LOWERCASE_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LETTERS_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Length of stream, user and token ids: 36^8 ≈ 2.8e12 values, short enough to read aloud. */
export const ID_LENGTH = 8;

/** Attempts at a free id before giving up; a fresh id collides about once in 2.8e12. */
export const MAX_ID_ATTEMPTS = 5;

/** `length` characters drawn uniformly from `alphabet` (crypto.randomInt has no modulo bias). */
function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/** A public id: URL-safe, lowercase letters and digits, e.g. `9a8e3a6d`. */
export function randomId(): string {
  return randomString(LOWERCASE_AND_DIGITS, ID_LENGTH);
}

/** A secret of letters and digits: 24 characters carry about 143 bits. */
export function randomSecret(length: number): string {
  return randomString(LETTERS_AND_DIGITS, length);
}
