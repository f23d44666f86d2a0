import { readInteger, readOptionalString, readPort, readString, SettingError, type Env } from '../../../service-kit/src/env-settings.js';

/** The origin's SRT listener (SRT_*): where it listens and what one caller may hold of it. */
export interface SrtIngestSettings {
  /** SRT_HOST */
  host: string;
  /** SRT_PORT (UDP) */
  port: number;
  /** SRT_LATENCY_MS: our TSBPD latency; a caller asking more gets more. */
  latencyMs: number;
  /** SRT_MAX_CONNECTIONS: callers authorizing or connected at once. */
  maxConnections: number;
  /** SRT_IDLE_TIMEOUT_SECONDS, in ms: a caller silent this long is dropped. */
  idleTimeoutMs: number;
  /** SRT_RECEIVE_BUFFER_PACKETS: packets held per caller past a gap (about 1.3 kB each). */
  receiveBufferPackets: number;
  /** SRT_UDP_RECEIVE_BUFFER_BYTES: the socket's kernel buffer (capped by net.core.rmem_max). */
  udpReceiveBufferBytes: number;
  /** SRT_PASSPHRASE: set, every caller must encrypt with it (AES-CTR); unset, none may. */
  passphrase?: string;
}

export function readSrtIngestSettings(env: Env): SrtIngestSettings {
  const passphrase = readOptionalString(env, 'SRT_PASSPHRASE');
  // SRT's own bounds (SRTO_PASSPHRASE): a caller could not use another.
  if (passphrase !== undefined && (passphrase.length < 10 || passphrase.length > 79)) throw new SettingError('SRT_PASSPHRASE', '[redacted]', '10 to 79 characters');
  return {
    ...(passphrase !== undefined ? { passphrase } : {}),
    host: readString(env, 'SRT_HOST', '0.0.0.0'),
    port: readPort(env, 'SRT_PORT', 1337),
    // SRT's TSBPD latency travels in 16 bits of milliseconds.
    latencyMs: readInteger(env, 'SRT_LATENCY_MS', 120, { min: 20, max: 65_535 }),
    maxConnections: readInteger(env, 'SRT_MAX_CONNECTIONS', 100, { min: 1, max: 10_000 }),
    idleTimeoutMs: readInteger(env, 'SRT_IDLE_TIMEOUT_SECONDS', 10, { min: 1, max: 3600 }) * 1000,
    receiveBufferPackets: readInteger(env, 'SRT_RECEIVE_BUFFER_PACKETS', 8192, { min: 128, max: 1_000_000 }),
    udpReceiveBufferBytes: readInteger(env, 'SRT_UDP_RECEIVE_BUFFER_BYTES', 4 * 1024 * 1024, { min: 64 * 1024 }),
  };
}
