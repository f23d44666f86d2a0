import path from 'node:path';
import {
  readHttpUrl,
  readInteger,
  readNumber,
  readOptionalInteger,
  readPort,
  readString,
  SettingError,
  type Env,
} from '../../service-kit/src/env-settings.js';
import { readInternalToken } from '../../internal-api/src/internal-token.js';

export interface DiscoverySettings {
  /** HLS_PATH: the origin's HLS folder, one sub-folder per stream (`<name>/index.m3u8`). */
  hlsPath: string;
  /** API_URL: where streams are reported (`POST /streams`, `DELETE /streams/:name`). */
  apiUrl: string;
  /** INTERNAL_TOKEN: sent with every report. */
  internalToken: string;
  /** ORIGIN_HOST: host:port of this origin's HTTP server as edges reach it; sent as `host`. */
  originHost: string;
  /** MANIFEST_NAME: the media playlist's file name inside a stream folder; sent as `manifest`. */
  manifestName: string;
  /**
   * HEARTBEAT_SECONDS: how often a live stream is re-reported; at most ROUTE_TTL_SECONDS / 3.
   * Default 5, or ROUTE_TTL_SECONDS / 3 when the TTL is shorter than 15 s.
   */
  heartbeatMs: number;
  /** STALE_TARGET_DURATIONS: a playlist unchanged for this many target durations has ended. */
  staleTargetDurations: number;
  /**
   * ENDED_GRACE_SECONDS: how long an ended stream stays playable through the edges; unset, the
   * length of its last playlist.
   */
  endedGraceSeconds: number | undefined;
  /**
   * ROUTE_TTL_SECONDS: the API's key TTL (the API reads the same variable, so a shared environment
   * keeps both in step); only used to bound HEARTBEAT_SECONDS.
   */
  routeTtlSeconds: number;
  /** API_TIMEOUT_MS: deadline of one API request, connecting included. */
  apiTimeoutMs: number;
  /** API_CONNECTIONS: keep-alive connections to the API; a burst of reports for many streams shares them. */
  apiConnections: number;
  /** API_RETRY_INITIAL_MS: first retry delay once the API fails; doubles per failure. */
  retryInitialMs: number;
  /** API_RETRY_MAX_MS: cap of the retry delay (before jitter). */
  retryMaxMs: number;
  /** DISCOVERY_HTTP_HOST: where /health, /ready and /metrics listen. Default 127.0.0.1: nothing there is for the public. */
  httpHost: string;
  /** DISCOVERY_HTTP_PORT: their port. Default 8082 (the origin has 8080, the edge 8081). */
  httpPort: number;
}

/** A heartbeat this many times shorter than the TTL survives two lost heartbeats in a row. */
const HEARTBEATS_PER_TTL = 3;

export function readDiscoverySettings(env: Env = process.env): DiscoverySettings {
  const routeTtlSeconds = readInteger(env, 'ROUTE_TTL_SECONDS', 30, { min: 1, max: 86_400 });
  const longestHeartbeat = routeTtlSeconds / HEARTBEATS_PER_TTL;
  const heartbeatSeconds = readNumber(env, 'HEARTBEAT_SECONDS', Math.min(5, longestHeartbeat), { min: 0.05 });
  if (heartbeatSeconds > longestHeartbeat) {
    throw new SettingError(
      'HEARTBEAT_SECONDS',
      String(heartbeatSeconds),
      `at most ROUTE_TTL_SECONDS / ${HEARTBEATS_PER_TTL} = ${Number(longestHeartbeat.toFixed(3))}`,
    );
  }
  const retryInitialMs = readInteger(env, 'API_RETRY_INITIAL_MS', 200, { min: 1 });
  const retryMaxMs = readInteger(env, 'API_RETRY_MAX_MS', 5_000, { min: 1 });
  if (retryMaxMs < retryInitialMs) {
    throw new SettingError('API_RETRY_MAX_MS', String(retryMaxMs), `at least API_RETRY_INITIAL_MS (${retryInitialMs})`);
  }
  return {
    hlsPath: path.resolve(readString(env, 'HLS_PATH', '.run/hls')),
    apiUrl: readHttpUrl(env, 'API_URL', 'http://127.0.0.1:9091'),
    internalToken: readInternalToken(env),
    originHost: readOriginHost(env),
    manifestName: readManifestName(env),
    heartbeatMs: Math.round(heartbeatSeconds * 1000),
    staleTargetDurations: readNumber(env, 'STALE_TARGET_DURATIONS', 3, { min: 1 }),
    endedGraceSeconds: readOptionalInteger(env, 'ENDED_GRACE_SECONDS', { min: 1, max: 86_400 }),
    routeTtlSeconds,
    apiTimeoutMs: readInteger(env, 'API_TIMEOUT_MS', 2_000, { min: 1 }),
    apiConnections: readInteger(env, 'API_CONNECTIONS', 16, { min: 1, max: 1_024 }),
    retryInitialMs,
    retryMaxMs,
    httpHost: readString(env, 'DISCOVERY_HTTP_HOST', '127.0.0.1'),
    httpPort: readPort(env, 'DISCOVERY_HTTP_PORT', 8082),
  };
}

/** `host:port` (IPv6 in brackets), exactly what an edge puts after `http://`. */
function readOriginHost(env: Env): string {
  const value = readString(env, 'ORIGIN_HOST', '127.0.0.1:8080');
  const match = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) {
    throw new SettingError('ORIGIN_HOST', value, 'host:port, e.g. 127.0.0.1:8080');
  }
  return value;
}

/** A bare file name: it is matched against watcher paths and sent to the API as is. */
function readManifestName(env: Env): string {
  const value = readString(env, 'MANIFEST_NAME', 'index.m3u8');
  if (value === '.' || value === '..' || /[/\\]/.test(value)) {
    throw new SettingError('MANIFEST_NAME', value, 'a file name without a folder, e.g. index.m3u8');
  }
  return value;
}
