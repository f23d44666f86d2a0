import { SettingError, readInteger, readList, readPort, readString, type Env } from '../../service-kit/src/env-settings.js';
import { isStreamName } from './schemas.js';

/** Allow-list entry that lets any valid stream name publish. */
export const ANY_STREAM = '*';

export interface ApiSettings {
  /** API_PORT: TCP port to listen on. */
  port: number;
  /** API_HOST: address to bind. */
  host: string;
  /** REDIS_URL: redis:// or rediss:// URL of the route store. */
  redisUrl: string;
  /** REDIS_TIMEOUT_MS: connect and per-command timeout; bounds how long a request waits for Redis. */
  redisTimeoutMs: number;
  /** ROUTE_TTL_SECONDS: how long an origin's report keeps its stream live without a refresh. */
  routeTtlSeconds: number;
  /** ALLOWED_STREAMS: comma-separated names allowed to publish; `*` allows any valid name. */
  allowedStreams: readonly string[];
}

export function readApiSettings(env: Env = process.env): ApiSettings {
  return {
    port: readPort(env, 'API_PORT', 9090),
    host: readString(env, 'API_HOST', '0.0.0.0'),
    redisUrl: readRedisUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
    redisTimeoutMs: readInteger(env, 'REDIS_TIMEOUT_MS', 1000, { min: 50, max: 60_000 }),
    routeTtlSeconds: readInteger(env, 'ROUTE_TTL_SECONDS', 30, { min: 1, max: 86_400 }),
    allowedStreams: readAllowedStreams(env, 'ALLOWED_STREAMS', ['golive']),
  };
}

function readRedisUrl(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  // The URL may hold a password: never echo it in an error.
  const shown = value.replace(/\/\/[^/@]*@/, '//[redacted]@');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingError(name, shown, 'a redis:// or rediss:// URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new SettingError(name, shown, 'a redis:// or rediss:// URL');
  }
  return value;
}

function readAllowedStreams(env: Env, name: string, fallback: string[]): readonly string[] {
  const entries = readList(env, name, fallback);
  const expected = `"${ANY_STREAM}" or comma-separated stream names matching ^[A-Za-z0-9_-]{1,128}$`;
  if (entries.length === 0) throw new SettingError(name, env[name] ?? '', expected);
  for (const entry of entries) {
    if (entry !== ANY_STREAM && !isStreamName(entry)) throw new SettingError(name, env[name] ?? '', expected);
  }
  return entries;
}
