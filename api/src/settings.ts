import path from 'node:path';
import {
  SettingError,
  parseUrlSetting,
  readBoolean,
  readHttpUrl,
  readInteger,
  readList,
  readOptionalString,
  readPort,
  readString,
  readWebSocketUrlTemplate,
  type Env,
} from '../../service-kit/src/env-settings.js';
import { readInternalToken, readPreviousInternalToken } from '../../internal-api/src/internal-token.js';
import { MIN_SIGNING_KEY_LENGTH } from '../../playback-token/src/playback-token.js';
import { readAbrLadderBounds, type AbrLadderBounds } from './abr-ladder-bounds.js';
import { parseResolution, type Resolution } from './fallback/output-resolution.js';
import { STREAM_KEY_PREFIX } from './publish/stream-key.js';
import { INGEST_URL_SETTINGS, WELL_KNOWN_PLATFORMS, type WellKnownPlatform } from './restream/platforms.js';
import { checkTargetUrl, displayUrl } from './restream/target-url.js';
import { STREAM_NAME_PATTERN, isStreamIdShaped, isStreamName } from './schemas.js';

/** Allow-list entry that lets any valid stream name publish. */
export const ANY_STREAM = '*';

/** RECORDING_QUOTA_BYTES's default: 100 GiB, about 85 hours of a 2.5 Mb/s stream (1.26 GB/h recorded). */
export const DEFAULT_RECORDING_QUOTA_BYTES = 100 * 1024 ** 3;
/** The largest quota a setting or an admin may give: 1 PiB, past any disk an origin holds. */
export const MAX_QUOTA_BYTES = 2 ** 50;

export interface ApiSettings {
  /** API_PORT: TCP port to listen on. */
  port: number;
  /** API_HOST: address to bind. */
  host: string;
  /**
   * API_INTERNAL_PORT: TCP port of the internal listener (the routes origins, discovery, edges and
   * nginx-rtmp call); never published to the internet.
   */
  internalPort: number;
  /** API_INTERNAL_HOST: address the internal listener binds; loopback unless the services run elsewhere. */
  internalHost: string;
  /** INTERNAL_TOKEN: the secret every internal request must carry (required). */
  internalToken: string;
  /** INTERNAL_TOKEN_PREVIOUS: also accepted during a rotation of INTERNAL_TOKEN (services move to the new one meanwhile). */
  previousInternalToken?: string | undefined;
  /** REDIS_URL: redis:// or rediss:// URL of the store (durable data and live state). */
  redisUrl: string;
  /** REDIS_TIMEOUT_MS: connect and per-command timeout; bounds how long a request waits for Redis. */
  redisTimeoutMs: number;
  /** ROUTE_TTL_SECONDS: how long an origin's report keeps its stream live without a refresh. */
  routeTtlSeconds: number;
  /**
   * ALLOWED_STREAMS: comma-separated open names that publish without a stream key; `*` allows
   * any valid name. Empty by default: only managed stream keys publish.
   */
  allowedStreams: readonly string[];
  /**
   * RECORD_OPEN_NAMES: record the sessions of open names too (each session a video, no reconnect
   * timeout). Off by default: an open name has no owner to list, replay or delete its videos.
   */
  recordOpenNames: boolean;
  /** ADMIN_TOKEN: the built-in admin user's API token; unset, no admin token works. */
  adminToken: string | undefined;
  /**
   * ADMIN_TOKEN_PREVIOUS: also the admin's token during a rotation (every API instance takes the
   * new one while the old keeps working; then it is dropped).
   */
  previousAdminToken?: string | undefined;
  /** PUBLIC_PLAYBACK_URL: the edge's public base URL, for HLS playlist URLs. */
  publicPlaybackUrl: string;
  /** PUBLIC_SRT_URL: `srt://host:port` to play over SRT; unset, no SRT playlist is advertised. */
  publicSrtUrl: string | undefined;
  /**
   * INGEST_WEBSOCKET_URL: where browsers go live, as the origins list it (set both the same); the
   * dashboard's policy lets its go-live section connect to that origin and no other.
   */
  ingestWebSocketUrl: string;
  /** DASHBOARD_PATH: the built dashboard the public listener serves under `/` (default dist/dashboard). */
  dashboardPath: string;
  /**
   * PUBLISH_LEASE_SECONDS: how long a stream's lease lasts without an origin heartbeat (origins
   * beat every second). Short, because it is how long a publisher whose origin died is refused
   * on another one; three missed heartbeats, so a slow beat loses nothing.
   */
  publishLeaseSeconds: number;
  /** INGEST_TTL_SECONDS: how long an origin stays listed (GET /v1/ingests) without a heartbeat. */
  ingestTtlSeconds: number;
  /**
   * ALLOW_PRIVATE_TARGETS: let restream targets resolve to loopback, private, link-local or
   * CGNAT addresses (labs, tests, an RTMP server on the same network). Off by default.
   */
  allowPrivateTargets: boolean;
  /** TWITCH_INGEST_URL, YOUTUBE_INGEST_URL, KICK_INGEST_URL, FACEBOOK_INGEST_URL: where each platform's targets push. */
  platformIngestUrls: Readonly<Record<WellKnownPlatform, string>>;
  /** RESTREAM_MAX_TARGETS: restream targets one stream may have. */
  restreamMaxTargets: number;
  /** MAX_STREAMS_PER_USER: streams one user may have (the built-in admin's are not counted). */
  maxStreamsPerUser: number;
  /** MAX_TOKENS_PER_USER: API tokens one user may have. */
  maxTokensPerUser: number;
  /** RESTREAM_STATUS_TTL_SECONDS: how long an origin's report of a target's status is shown without a refresh. */
  restreamStatusTtlSeconds: number;
  /** PULL_LEASE_SECONDS: an origin that stops claiming its pull sources loses them to another origin after this. Default 6. */
  pullLeaseSeconds: number;
  /**
   * VIDEO_TOMBSTONE_SECONDS: how long a video deleted through /v1 is remembered, so that its
   * origin's next report answers keep: false and the files go. An origin offline for longer
   * re-registers the recording when it is back.
   */
  videoTombstoneSeconds: number;
  /**
   * VIDEO_REPORT_TIMEOUT_SECONDS: a live-inprogress video whose origin has not reported it for
   * this long is withdrawn (unlisted, no longer counted against its owner's quota): its origin
   * vanished. Not a deletion: the origin re-registers it if it comes back. Keep it several times
   * the origins' VIDEO_REPORT_INTERVAL_SECONDS.
   */
  videoReportTimeoutSeconds: number;
  /**
   * RECORDING_QUOTA_BYTES: recorded bytes one user's videos may take (live-inprogress and ready,
   * as their origins report them) before that user's sessions stop being recorded; an admin
   * overrides it per user (PATCH /v1/users/:id). The built-in admin's streams are not limited.
   */
  recordingQuotaBytes: number;
  /** FALLBACK_PATH: folder of the converted fallback videos, `<stream id>.flv`; shared by all API instances. */
  fallbackPath: string;
  /** FALLBACK_MAX_BYTES: largest fallback upload accepted. */
  fallbackMaxBytes: number;
  /** FALLBACK_MAX_DURATION_SECONDS: a longer upload is cut to this length. */
  fallbackMaxDurationSeconds: number;
  /** FALLBACK_KEYFRAME_SECONDS: keyframe interval of the converted fallback (match HLS_SEGMENT_SECONDS). */
  fallbackKeyframeSeconds: number;
  /** FALLBACK_CONVERT_TIMEOUT_SECONDS: a probe or conversion still running after this is killed. */
  fallbackConvertTimeoutSeconds: number;
  /** FALLBACK_MAX_CONVERSIONS: conversions this API instance runs at once; complete uploads wait for one in turn. */
  fallbackMaxConversions: number;
  /** FALLBACK_MAX_RESOLUTION: the converted video fits this box (either orientation); larger ones are scaled down. */
  fallbackMaxResolution: Resolution;
  /** FALLBACK_UPLOAD_IDLE_SECONDS: an upload that sends nothing this long is answered 408. */
  fallbackUploadIdleSeconds: number;
  /** FALLBACK_UPLOAD_TIMEOUT_SECONDS: an upload still arriving after this is answered 408. */
  fallbackUploadTimeoutSeconds: number;
  /** FALLBACK_MAX_UPLOADS: uploads (receiving, waiting or converting) this API instance takes at once; more answer 503. */
  fallbackMaxUploads: number;
  /** FALLBACK_MAX_UPLOADS_PER_USER: uploads one user may have under way at once on this instance; more answer 429. */
  fallbackMaxUploadsPerUser: number;
  /** FALLBACK_MAX_BYTES_PER_USER: total size of one user's converted fallback videos (the built-in admin's are not counted). */
  fallbackMaxBytesPerUser: number;
  /**
   * PLAYBACK_SIGNING_KEY: secret the API signs playback tokens with and every edge checks them
   * with; unset, the API issues no playback tokens (streams may still require them).
   */
  playbackSigningKey: string | undefined;
  /** VIEWER_IDLE_SECONDS: a viewing session with no request this long has left. */
  viewerIdleSeconds: number;
  /** ABR_MAX_RENDITIONS, ABR_MAX_HEIGHT, ABR_MAX_BITRATE_KBPS: the largest ABR ladder a stream may ask for. */
  abrLadderBounds: AbrLadderBounds;
}

export function readApiSettings(env: Env = process.env): ApiSettings {
  const port = readPort(env, 'API_PORT', 9090);
  const internalPort = readPort(env, 'API_INTERNAL_PORT', 9091);
  // Port 0 picks a free port for each listener; any other shared port would put both on one socket.
  if (internalPort !== 0 && internalPort === port) {
    throw new SettingError('API_INTERNAL_PORT', String(internalPort), `a port other than API_PORT (${port})`);
  }
  const adminToken = readAdminToken(env, 'ADMIN_TOKEN');
  const previousAdminToken = readAdminToken(env, 'ADMIN_TOKEN_PREVIOUS');
  if (previousAdminToken !== undefined && adminToken === undefined) {
    throw new SettingError('ADMIN_TOKEN_PREVIOUS', '[redacted]', 'unset while ADMIN_TOKEN is unset (it is the old token during a rotation)');
  }
  const internalToken = readInternalToken(env);
  // One leaked secret must not open both doors.
  if (internalToken === adminToken || (previousAdminToken !== undefined && internalToken === previousAdminToken)) {
    throw new SettingError('INTERNAL_TOKEN', '[redacted]', 'a secret other than ADMIN_TOKEN and ADMIN_TOKEN_PREVIOUS');
  }
  return {
    port,
    host: readString(env, 'API_HOST', '0.0.0.0'),
    internalPort,
    internalHost: readString(env, 'API_INTERNAL_HOST', '127.0.0.1'),
    internalToken,
    previousInternalToken: readPreviousInternalToken(env),
    redisUrl: readRedisUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
    redisTimeoutMs: readInteger(env, 'REDIS_TIMEOUT_MS', 1000, { min: 50, max: 60_000 }),
    routeTtlSeconds: readInteger(env, 'ROUTE_TTL_SECONDS', 30, { min: 1, max: 86_400 }),
    allowedStreams: readAllowedStreams(env, 'ALLOWED_STREAMS'),
    recordOpenNames: readBoolean(env, 'RECORD_OPEN_NAMES', false),
    adminToken,
    ...(previousAdminToken !== undefined ? { previousAdminToken } : {}),
    publicPlaybackUrl: readHttpUrl(env, 'PUBLIC_PLAYBACK_URL', 'http://localhost:8081'),
    publicSrtUrl: readSrtUrl(env, 'PUBLIC_SRT_URL'),
    // The origin's own default (its HTTP port, 8080).
    ingestWebSocketUrl: readWebSocketUrlTemplate(env, 'INGEST_WEBSOCKET_URL', 'ws://localhost:8080/ingest/ws?stream_key={stream_key}'),
    dashboardPath: path.resolve(readString(env, 'DASHBOARD_PATH', 'dist/dashboard')),
    publishLeaseSeconds: readInteger(env, 'PUBLISH_LEASE_SECONDS', 3, { min: 1, max: 3600 }),
    ingestTtlSeconds: readInteger(env, 'INGEST_TTL_SECONDS', 5, { min: 1, max: 3600 }),
    allowPrivateTargets: readBoolean(env, 'ALLOW_PRIVATE_TARGETS', false),
    platformIngestUrls: readPlatformIngestUrls(env),
    restreamMaxTargets: readInteger(env, 'RESTREAM_MAX_TARGETS', 10, { min: 1, max: 100 }),
    maxStreamsPerUser: readInteger(env, 'MAX_STREAMS_PER_USER', 100, { min: 1, max: 100_000 }),
    maxTokensPerUser: readInteger(env, 'MAX_TOKENS_PER_USER', 20, { min: 1, max: 10_000 }),
    restreamStatusTtlSeconds: readInteger(env, 'RESTREAM_STATUS_TTL_SECONDS', 30, { min: 1, max: 3600 }),
    pullLeaseSeconds: readInteger(env, 'PULL_LEASE_SECONDS', 6, { min: 2, max: 3600 }),
    videoTombstoneSeconds: readInteger(env, 'VIDEO_TOMBSTONE_SECONDS', 7 * 86_400, { min: 60, max: 366 * 86_400 }),
    videoReportTimeoutSeconds: readInteger(env, 'VIDEO_REPORT_TIMEOUT_SECONDS', 300, { min: 2, max: 7 * 86_400 }),
    recordingQuotaBytes: readInteger(env, 'RECORDING_QUOTA_BYTES', DEFAULT_RECORDING_QUOTA_BYTES, { min: 0, max: MAX_QUOTA_BYTES }),
    fallbackPath: path.resolve(readString(env, 'FALLBACK_PATH', '.run/fallback')),
    fallbackMaxBytes: readInteger(env, 'FALLBACK_MAX_BYTES', 100 * 1024 * 1024, { min: 1024, max: 64 * 1024 ** 3 }),
    fallbackMaxDurationSeconds: readInteger(env, 'FALLBACK_MAX_DURATION_SECONDS', 600, { min: 1, max: 6 * 3600 }),
    fallbackKeyframeSeconds: readInteger(env, 'FALLBACK_KEYFRAME_SECONDS', 2, { min: 1, max: 20 }),
    fallbackConvertTimeoutSeconds: readInteger(env, 'FALLBACK_CONVERT_TIMEOUT_SECONDS', 300, { min: 1, max: 6 * 3600 }),
    fallbackMaxConversions: readInteger(env, 'FALLBACK_MAX_CONVERSIONS', 2, { min: 1, max: 64 }),
    fallbackMaxResolution: readResolution(env, 'FALLBACK_MAX_RESOLUTION', '1920x1080'),
    fallbackUploadIdleSeconds: readInteger(env, 'FALLBACK_UPLOAD_IDLE_SECONDS', 30, { min: 1, max: 3600 }),
    fallbackUploadTimeoutSeconds: readInteger(env, 'FALLBACK_UPLOAD_TIMEOUT_SECONDS', 900, { min: 1, max: 6 * 3600 }),
    fallbackMaxUploads: readInteger(env, 'FALLBACK_MAX_UPLOADS', 10, { min: 1, max: 1000 }),
    fallbackMaxUploadsPerUser: readInteger(env, 'FALLBACK_MAX_UPLOADS_PER_USER', 2, { min: 1, max: 1000 }),
    fallbackMaxBytesPerUser: readInteger(env, 'FALLBACK_MAX_BYTES_PER_USER', 1024 ** 3, { min: 1024, max: 2 ** 50 }),
    playbackSigningKey: readPlaybackSigningKey(env, 'PLAYBACK_SIGNING_KEY'),
    viewerIdleSeconds: readInteger(env, 'VIEWER_IDLE_SECONDS', 30, { min: 5, max: 3600 }),
    abrLadderBounds: readAbrLadderBounds(env),
  };
}

function readPlatformIngestUrls(env: Env): Record<WellKnownPlatform, string> {
  const urls = {} as Record<WellKnownPlatform, string>;
  for (const platform of WELL_KNOWN_PLATFORMS) {
    const { variable, fallback } = INGEST_URL_SETTINGS[platform];
    const value = readString(env, variable, fallback);
    const check = checkTargetUrl(value);
    if (!check.ok) throw new SettingError(variable, displayUrl(value), `an rtmp:// or rtmps:// URL with an application path (${check.problem})`);
    urls[platform] = value;
  }
  return urls;
}

/** Long enough not to be guessed, printable and without spaces so it fits a header. */
const ADMIN_TOKEN_PATTERN = /^[\x21-\x7e]{16,256}$/;

function readAdminToken(env: Env, name: string): string | undefined {
  const value = readOptionalString(env, name);
  if (value === undefined) return undefined;
  // Never echo the token itself.
  if (!ADMIN_TOKEN_PATTERN.test(value)) {
    throw new SettingError(name, '[redacted]', '16-256 printable ASCII characters without spaces');
  }
  return value;
}

/** Printable without spaces, so it can be passed in any environment or config file as is. */
const PLAYBACK_SIGNING_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{${MIN_SIGNING_KEY_LENGTH},512}$`);

function readPlaybackSigningKey(env: Env, name: string): string | undefined {
  const value = readOptionalString(env, name);
  if (value === undefined) return undefined;
  // Never echo the key itself.
  if (!PLAYBACK_SIGNING_KEY_PATTERN.test(value)) {
    throw new SettingError(name, '[redacted]', `${MIN_SIGNING_KEY_LENGTH}-512 printable ASCII characters without spaces`);
  }
  return value;
}

function readResolution(env: Env, name: string, fallback: string): Resolution {
  const value = readString(env, name, fallback);
  const resolution = parseResolution(value);
  if (!resolution) throw new SettingError(name, value, 'WIDTHxHEIGHT, each an even number of pixels from 16 to 8192, e.g. 1920x1080');
  return resolution;
}

function readSrtUrl(env: Env, name: string): string | undefined {
  const value = readOptionalString(env, name);
  if (value === undefined) return undefined;
  const expected = 'srt://host:port';
  const url = parseUrlSetting(name, value, expected);
  if (url.protocol !== 'srt:' || url.hostname === '' || url.port === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
    throw new SettingError(name, value, expected);
  }
  return `srt://${url.host}`;
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

function readAllowedStreams(env: Env, name: string): readonly string[] {
  const entries = readList(env, name, []);
  const expected =
    `"${ANY_STREAM}" or comma-separated stream names matching ${STREAM_NAME_PATTERN}, ` +
    `neither starting with "${STREAM_KEY_PREFIX}" (stream keys) nor shaped like a stream id (8 of a-z 0-9)`;
  for (const entry of entries) {
    if (entry === ANY_STREAM) continue;
    if (!isStreamName(entry) || entry.startsWith(STREAM_KEY_PREFIX) || isStreamIdShaped(entry)) {
      throw new SettingError(name, env[name] ?? '', expected);
    }
  }
  return entries;
}
