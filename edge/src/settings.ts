import {
  readHttpUrl,
  readInteger,
  readPort,
  readOptionalString,
  readString,
  SettingError,
  type Env,
} from '../../service-kit/src/env-settings.js';
import { readOriginSecrets } from '../../service-kit/src/origin-secret.js';
import { readInternalToken } from '../../internal-api/src/internal-token.js';
import { MIN_SIGNING_KEY_LENGTH } from '../../playback-token/src/playback-token.js';
import { API_RECOVERY_MS } from './route-resolver.js';

export interface EdgeSettings {
  /** EDGE_PORT: port players connect to. */
  port: number;
  /** EDGE_HOST: address to listen on. */
  host: string;
  /** API_URL: base URL of the route API that knows which origin holds a stream. */
  apiUrl: string;
  /** INTERNAL_TOKEN: sent with every request to the API. */
  internalToken: string;
  /** API_TIMEOUT_MS: longest wait for one answer of the route API, connecting included. */
  apiTimeoutMs: number;
  /** API_CONNECTIONS: keep-alive connections kept open to the route API. */
  apiConnections: number;
  /**
   * ROUTE_CACHE_MS: how long an answer of the API (live or not live) is reused before asking
   * again. After a failed question it is also the pause before the next try. 0 asks every time.
   */
  routeCacheMs: number;
  /**
   * ROUTE_NOT_LIVE_CACHE_MS: how long the API's "not live" answer is reused. Short, so that a
   * player polling for a stream that is about to start gets it within a fraction of a second.
   */
  routeNotLiveCacheMs: number;
  /**
   * ROUTE_STALE_MS: how long the last known origin of a stream keeps being used while the route
   * API is unreachable, counted from its last confirmation.
   */
  routeStaleMs: number;
  /** ROUTE_CACHE_MAX_ENTRIES: streams whose routes are remembered at once (unknown names included). */
  routeCacheMaxEntries: number;
  /** ORIGIN_FAILOVER_MS: how long an origin that failed is avoided while another one holds the stream. */
  originFailoverMs: number;
  /**
   * ROUTE_API_RECOVERY_MS: how long the API's "not live" does not drop a route the edge uses,
   * from the route's last confirmation or from the API's return after an outage: the API may not
   * have been told again yet (back from an outage, or its Redis lost the live state); streams are
   * reported to it again within one route TTL.
   */
  routeApiRecoveryMs: number;
  /** UPSTREAM_TIMEOUT_MS: longest wait for an origin's response headers, and between two body chunks. */
  upstreamTimeoutMs: number;
  /**
   * UPSTREAM_BLOCKING_TIMEOUT_MS: longest wait for an origin's response headers to a request the
   * LL-HLS origin holds until its part exists (a blocking `ll.m3u8`, a hinted part): up to three
   * target durations, longer than UPSTREAM_TIMEOUT_MS with segments of 4 s or more.
   */
  upstreamBlockingTimeoutMs: number;
  /** UPSTREAM_CONNECT_TIMEOUT_MS: longest wait to open a connection to an origin. */
  upstreamConnectTimeoutMs: number;
  /** UPSTREAM_CONNECTIONS: most connections open to one origin at a time. */
  upstreamConnections: number;
  /**
   * UPSTREAM_KEEPALIVE_MS: how long an idle origin connection is kept for reuse. An origin that
   * announces a shorter `Keep-Alive: timeout` wins.
   */
  upstreamKeepAliveMs: number;
  /** ORIGIN_SECRET: sent to origins in `x-origin-secret` (they serve only requests carrying it); unset, none is sent. */
  originSecret: string | undefined;
  /** SHUTDOWN_TIMEOUT_MS: how long in-flight requests may take to finish on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /**
   * PLAYBACK_SIGNING_KEY: the API's key for playback tokens, to verify them here without asking
   * the API; unset, streams that require signed URLs are refused.
   */
  playbackSigningKey: string | undefined;
  /**
   * PLAYBACK_SIGNING_KEY_PREVIOUS: the key before a rotation, still accepted, so tokens the API
   * signed with it play until they expire (set it on the edges before the API gets the new key).
   */
  previousPlaybackSigningKey: string | undefined;
  /** VIEWER_REPORT_INTERVAL_MS: viewer sightings are sent to the API in one batch this often. */
  viewerReportIntervalMs: number;
  /** VIEWS_CACHE_MS: how long a stream's public live viewer count (`/<stream>/views`) is reused. */
  viewsCacheMs: number;
}

const HOUR_MS = 3_600_000;

/** Reads and validates every edge setting; throws SettingError naming the variable. */
export function readEdgeSettings(env: Env): EdgeSettings {
  return {
    port: readPort(env, 'EDGE_PORT', 8081),
    host: readString(env, 'EDGE_HOST', '0.0.0.0'),
    apiUrl: readHttpUrl(env, 'API_URL', 'http://127.0.0.1:9091'),
    internalToken: readInternalToken(env),
    apiTimeoutMs: readInteger(env, 'API_TIMEOUT_MS', 2_000, { min: 1, max: 60_000 }),
    apiConnections: readInteger(env, 'API_CONNECTIONS', 16, { min: 1, max: 1_024 }),
    routeCacheMs: readInteger(env, 'ROUTE_CACHE_MS', 1_000, { min: 0, max: HOUR_MS }),
    routeNotLiveCacheMs: readInteger(env, 'ROUTE_NOT_LIVE_CACHE_MS', 200, { min: 0, max: HOUR_MS }),
    routeStaleMs: readInteger(env, 'ROUTE_STALE_MS', 900_000, { min: 0, max: 24 * HOUR_MS }),
    routeCacheMaxEntries: readInteger(env, 'ROUTE_CACHE_MAX_ENTRIES', 100_000, { min: 1, max: 10_000_000 }),
    originFailoverMs: readInteger(env, 'ORIGIN_FAILOVER_MS', 10_000, { min: 0, max: HOUR_MS }),
    routeApiRecoveryMs: readInteger(env, 'ROUTE_API_RECOVERY_MS', API_RECOVERY_MS, { min: 0, max: HOUR_MS }),
    upstreamTimeoutMs: readInteger(env, 'UPSTREAM_TIMEOUT_MS', 10_000, { min: 1, max: 600_000 }),
    upstreamBlockingTimeoutMs: readInteger(env, 'UPSTREAM_BLOCKING_TIMEOUT_MS', 30_000, { min: 1, max: 600_000 }),
    upstreamConnectTimeoutMs: readInteger(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 2_000, {
      min: 1,
      max: 60_000,
    }),
    upstreamConnections: readInteger(env, 'UPSTREAM_CONNECTIONS', 128, { min: 1, max: 65_536 }),
    upstreamKeepAliveMs: readInteger(env, 'UPSTREAM_KEEPALIVE_MS', 30_000, { min: 1, max: HOUR_MS }),
    originSecret: readOriginSecrets(env).current,
    shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, { min: 1, max: 600_000 }),
    playbackSigningKey: readSigningKey(env, 'PLAYBACK_SIGNING_KEY'),
    previousPlaybackSigningKey: readPreviousSigningKey(env),
    viewerReportIntervalMs: readInteger(env, 'VIEWER_REPORT_INTERVAL_MS', 1_000, { min: 100, max: 60_000 }),
    viewsCacheMs: readInteger(env, 'VIEWS_CACHE_MS', 1_000, { min: 0, max: 60_000 }),
  };
}

function readSigningKey(env: Env, name: string): string | undefined {
  const key = readOptionalString(env, name);
  if (key !== undefined && (key.length < MIN_SIGNING_KEY_LENGTH || key.length > 512)) {
    throw new SettingError(name, '<hidden>', `${MIN_SIGNING_KEY_LENGTH} to 512 characters (the API's key)`);
  }
  return key;
}

function readPreviousSigningKey(env: Env): string | undefined {
  const previous = readSigningKey(env, 'PLAYBACK_SIGNING_KEY_PREVIOUS');
  if (previous !== undefined && readOptionalString(env, 'PLAYBACK_SIGNING_KEY') === undefined) {
    throw new SettingError('PLAYBACK_SIGNING_KEY_PREVIOUS', '<hidden>', 'unset while PLAYBACK_SIGNING_KEY is unset (it is the old key during a rotation)');
  }
  return previous;
}
