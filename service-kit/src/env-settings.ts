/**
 * Reads settings from environment variables. Every service validates its settings once at
 * start-up through these readers, so a bad value fails fast with a message that quotes the
 * variable's name and the value it got.
 */
export class SettingError extends Error {
  readonly code = 'LIVE_ERR_SETTING';
  constructor(readonly variable: string, readonly value: string, expected: string) {
    super(`setting ${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
  }
}

export type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readOptionalString(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new SettingError(name, value, `an integer between ${min} and ${max}`);
  }
  return parsed;
}

/** An integer setting without a default: undefined when unset. */
export function readOptionalInteger(env: Env, name: string, range: { min?: number; max?: number } = {}): number | undefined {
  return raw(env, name) === undefined ? undefined : readInteger(env, name, 0, range);
}

export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, { min: 0, max: 65535 });
}

export function readNumber(env: Env, name: string, fallback: number, { min = 0 } = {}): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) {
    throw new SettingError(name, value, `a number >= ${min}`);
  }
  return parsed;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new SettingError(name, value, 'one of 1, 0, true, false');
}

/** Comma-separated list; empty items are dropped. */
export function readList(env: Env, name: string, fallback: string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** An http(s) URL without a trailing slash. */
export function readHttpUrl(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  const url = parseUrlSetting(name, value, 'an http:// or https:// URL');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingError(name, value, 'an http:// or https:// URL');
  }
  return value.replace(/\/+$/, '');
}

/**
 * Where browsers publish over WebSocket: a ws:// or wss:// URL template with `{stream_key}` where
 * the key goes (e.g. `wss://live.example:8443/ingest/ws?stream_key={stream_key}`). The origins list
 * it for GET /v1/ingests and the API lets its dashboard connect to it, so both read the same setting.
 */
export function readWebSocketUrlTemplate(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  const expected = 'a ws:// or wss:// URL with {stream_key}';
  const url = parseUrlSetting(name, value, expected);
  if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || !value.includes('{stream_key}')) throw new SettingError(name, value, expected);
  return value;
}

/** The setting's value as a URL, or a SettingError saying what was `expected`. */
export function parseUrlSetting(name: string, value: string, expected: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new SettingError(name, value, expected);
  }
}
