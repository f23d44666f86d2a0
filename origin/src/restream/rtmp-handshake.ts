/**
 * The RTMP simple handshake (RTMP spec 1.0, section 5.2), client side: C0+C1 out, S0+S1+S2 in,
 * C2 out. Every ingest we target (Twitch, YouTube, nginx-rtmp, SRS, node-media-server) accepts
 * it; the digest ("complex") handshake is only needed by Flash-era players.
 */
import { TargetProtocolError } from './restream-errors.js';

export const RTMP_VERSION = 3;
/** C1, S1, C2 and S2 are each this long. */
export const HANDSHAKE_PACKET_SIZE = 1536;
/** What the server sends before chunks may start: S0 (1 byte), S1 and S2. */
export const SERVER_HANDSHAKE_SIZE = 1 + 2 * HANDSHAKE_PACKET_SIZE;

/** C0 then C1: `random` fills C1's 1528 bytes after its time and zero fields. */
export function createC0C1(timeMs: number, random: Uint8Array): Uint8Array {
  if (random.length !== HANDSHAKE_PACKET_SIZE - 8) throw new RangeError('C1 needs 1528 random bytes');
  const out = new Uint8Array(1 + HANDSHAKE_PACKET_SIZE);
  const view = new DataView(out.buffer);
  // C0: version (8 bits).
  out[0] = RTMP_VERSION;
  // C1: time (32 bits, any epoch), zero (32 bits), random bytes.
  view.setUint32(1, timeMs % 2 ** 32);
  view.setUint32(5, 0);
  out.set(random, 9);
  return out;
}

/**
 * Checks S0 and returns C2, an echo of S1 (its time, time2 and random bytes), which is what the
 * spec asks of a simple-handshake peer. S2 is not checked: servers using the digest handshake
 * answer our plain C1 with an S2 that is not a copy of it.
 */
export function createC2(server: Uint8Array, offset = 0): Uint8Array {
  if (server.length - offset < SERVER_HANDSHAKE_SIZE) throw new RangeError('S0+S1+S2 is 3073 bytes');
  const version = server[offset];
  if (version !== RTMP_VERSION) {
    // 6 is RTMPE (encrypted); anything else is not RTMP at all (e.g. an HTTP or TLS server).
    throw new TargetProtocolError(`the server answered the RTMP handshake with version ${version ?? 'none'}, not 3`);
  }
  return server.slice(offset + 1, offset + 1 + HANDSHAKE_PACKET_SIZE);
}
