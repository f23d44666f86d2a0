import { createHmac, randomBytes } from 'node:crypto';

const COOKIE_PERIOD_MS = 60_000;

/**
 * SYN cookies (draft-sharabayko-srt §4.3.1): the listener answers an induction with a cookie
 * derived from the caller's address and the minute, and keeps no state until a conclusion brings
 * it back, so spoofed inductions cost it nothing. A cookie from the previous minute is still good.
 */
export class SynCookies {
  constructor(private readonly secret: Uint8Array = randomBytes(32)) {}

  make(address: string, nowMs: number): number {
    return this.cookie(address, Math.floor(nowMs / COOKIE_PERIOD_MS));
  }

  verify(cookie: number, address: string, nowMs: number): boolean {
    const period = Math.floor(nowMs / COOKIE_PERIOD_MS);
    return cookie === this.cookie(address, period) || cookie === this.cookie(address, period - 1);
  }

  private cookie(address: string, period: number): number {
    return createHmac('sha256', this.secret).update(`${address}|${period}`).digest().readUInt32BE(0);
  }
}
