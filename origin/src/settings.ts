import os from 'node:os';
import {
  readHttpUrl,
  readInteger,
  readNumber,
  readOptionalString,
  readPort,
  readString,
  readWebSocketUrlTemplate,
  SettingError,
  type Env,
} from '../../service-kit/src/env-settings.js';
import { readOriginSecrets } from '../../service-kit/src/origin-secret.js';
import { ORIGIN_HOST_PATTERN } from '../../internal-api/src/fields.js';
import { readInternalToken } from '../../internal-api/src/internal-token.js';
import type { IngestDescription } from './control/ingest-heartbeat.js';
import { readAbrSettings, type AbrSettings } from './abr/abr-settings.js';
import { readFallbackSettings, type FallbackSettings } from './fallback/fallback-settings.js';
import { readHlsSettings, type HlsSettings } from './hls/hls-settings.js';
import { readLowLatencySettings, type LowLatencySettings } from './llhls/llhls-settings.js';
import { readRtmpIngestLimits, type RtmpIngestLimits } from './ingest/rtmp-ingest-settings.js';
import { readWebSocketIngestLimits, WEBSOCKET_INGEST_PATH, type WebSocketIngestLimits } from './ingest/websocket-ingest-settings.js';
import { readSrtIngestSettings, type SrtIngestSettings } from './ingest/srt-ingest-settings.js';
import { readSegmentSettings, type SegmentSettings } from './packaging/segment-settings.js';
import { readRecordingStorageSettings, type RecordingStorageSettings } from './recording/recording-settings.js';
import { readRestreamSettings, type RestreamSettings } from './restream/index.js';
import { readPullSettings, type PullSettings } from './pull/pull-settings.js';
import { readThumbnailSettings, type ThumbnailSettings } from './thumbnails/thumbnail-settings.js';

export interface OriginSettings {
  rtmpHost: string;
  rtmpPort: number;
  rtmpLimits: RtmpIngestLimits;
  /** Browser go-live over WebSocket (WS_INGEST_*); its ffmpeg is ABR_FFMPEG_PATH's. */
  webSocketLimits: WebSocketIngestLimits;
  /** The SRT listener (SRT_*). */
  srt: SrtIngestSettings;
  httpHost: string;
  httpPort: number;
  /**
   * ORIGIN_HOST: `host:port` of this HTTP server as edges reach it (discovery's setting of the same
   * name): sent with every video report, the edges fetch recordings from there. Default
   * 127.0.0.1:<ORIGIN_HTTP_PORT>.
   */
  originHost: string;
  /** API_URL: the API's internal listener. */
  apiUrl: string;
  /** INTERNAL_TOKEN: sent with every request to the API. */
  internalToken: string;
  /** API_CONNECTIONS: keep-alive connections to the API (publishes, heartbeats, restream). */
  apiConnections: number;
  /** AUTHORIZE_TIMEOUT_MS: deadline of a publish's authorization, and of every other request to the API. */
  authorizeTimeoutMs: number;
  /** Media a publisher may send while the API decides; more is a misbehaving client. */
  maxPendingBytes: number;
  /** Target and maximum segment duration and size. */
  segments: SegmentSettings;
  hls: HlsSettings;
  /** RECORDINGS_PATH and RECORDING_RETENTION_DAYS: where recorded videos are kept, and how long. */
  recordings: RecordingStorageSettings;
  /** THUMBNAIL_CONCURRENCY, THUMBNAIL_QUEUE_LIMIT, THUMBNAIL_TIMEOUT_MS, LIVE_THUMBNAIL_MAX_AGE_SECONDS. */
  thumbnails: ThumbnailSettings;
  /** ABR_*: the transcoding ladders of streams with ABR on (abr/abr-settings.ts). */
  abr: AbrSettings;
  /** HLS_LOW_LATENCY, HLS_PART_SECONDS and HLS_LOW_LATENCY_WINDOW_SECONDS: the CMAF packaging and its LL-HLS playlist. */
  lowLatency: LowLatencySettings;
  /** Identifies this origin to the API (heartbeats, publish leases). */
  originId: string;
  ingest: IngestDescription;
  heartbeatMs: number;
  restream: RestreamSettings;
  /**
   * RESTREAM_RECONNECT_WINDOW_SECONDS: how long a stream whose publisher dropped out waits for it
   * (seed 001): restream connections stay open, and its fallback video, if any, plays to viewers
   * and targets. Default 600.
   */
  restreamReconnectWindowMs: number;
  restreamStatusIntervalMs: number;
  fallback: FallbackSettings;
  /** PULL_*: the pull sources this origin claims and runs (ffmpeg: ABR_FFMPEG_PATH's; retries: RESTREAM_RETRY_*). */
  pull: PullSettings;
  /**
   * DRAIN_TIMEOUT_SECONDS: after SIGTERM, how long live publishers may go on before they are cut
   * (they reconnect, through the load balancer, to another origin). Default 300.
   */
  drainTimeoutMs: number;
  /**
   * METRICS_TOKEN: when set, `GET /metrics` on the HTTP port (which viewers and edges reach) needs
   * `Authorization: Bearer <token>`; unset, it is open like the HLS it sits beside.
   */
  metricsToken: string | undefined;
  /**
   * ORIGIN_SECRET and ORIGIN_SECRET_PREVIOUS (during a rotation): the edges' shared secret; the
   * HTTP port serves media only to requests carrying one of them (`x-origin-secret`). Required
   * unless ORIGIN_HTTP_HOST is a loopback address (an origin beside its edge on one host, and tests).
   */
  originSecrets: string[];
}

export function readOriginSettings(env: Env = process.env): OriginSettings {
  const rtmpPort = readPort(env, 'RTMP_PORT', 1935);
  const httpPort = readPort(env, 'ORIGIN_HTTP_PORT', 8080);
  const segments = readSegmentSettings(env);
  const srt = readSrtIngestSettings(env);
  const httpHost = readString(env, 'ORIGIN_HTTP_HOST', '0.0.0.0');
  const originSecrets = originSecretList(readOriginSecrets(env));
  // Fail closed: an origin other hosts can reach serves its media to the edges only, never to
  // anyone who finds its port (and around the edges' signed-playback checks).
  if (originSecrets.length === 0 && !isLoopbackHost(httpHost)) {
    throw new SettingError('ORIGIN_SECRET', '', `set when ORIGIN_HTTP_HOST (${httpHost}) is reachable from other hosts (or ORIGIN_HTTP_HOST=127.0.0.1 for an origin beside its edge)`);
  }
  return {
    rtmpHost: readString(env, 'RTMP_HOST', '0.0.0.0'),
    rtmpPort,
    rtmpLimits: readRtmpIngestLimits(env),
    webSocketLimits: readWebSocketIngestLimits(env),
    srt,
    httpHost,
    httpPort,
    originHost: readOriginHost(env),
    apiUrl: readHttpUrl(env, 'API_URL', 'http://127.0.0.1:9091'),
    internalToken: readInternalToken(env),
    apiConnections: readInteger(env, 'API_CONNECTIONS', 16, { min: 1, max: 1_024 }),
    authorizeTimeoutMs: readInteger(env, 'AUTHORIZE_TIMEOUT_MS', 3000, { min: 100 }),
    maxPendingBytes: readInteger(env, 'AUTHORIZE_MAX_PENDING_BYTES', 8 * 1024 * 1024, { min: 64 * 1024 }),
    segments,
    hls: readHlsSettings(env),
    recordings: readRecordingStorageSettings(env),
    thumbnails: readThumbnailSettings(env),
    abr: readAbrSettings(env),
    lowLatency: readLowLatencySettings(env, segments),
    originId: readOriginId(env, rtmpPort),
    ingest: {
      name: readString(env, 'INGEST_NAME', os.hostname()),
      region: readString(env, 'INGEST_REGION', 'local'),
      priority: readInteger(env, 'INGEST_PRIORITY', 1, { min: 0 }),
      urlTemplates: {
        rtmp: readString(env, 'INGEST_RTMP_URL', `rtmp://localhost:${rtmpPort}/stream/{stream_key}`),
        // Browser go-live lands on the HTTP port; behind TLS, the public wss:// URL.
        websocket: readWebSocketUrlTemplate(env, 'INGEST_WEBSOCKET_URL', `ws://localhost:${httpPort}${WEBSOCKET_INGEST_PATH}?stream_key={stream_key}`),
        // The SRT key is the whole streamid (publish/<stream id>/<secret>).
        srt: readString(env, 'INGEST_SRT_URL', `srt://localhost:${srt.port}?streamid={stream_key}`),
      },
    },
    heartbeatMs: readInteger(env, 'INGEST_HEARTBEAT_MS', 1000, { min: 100 }),
    restream: readRestreamSettings(env),
    restreamReconnectWindowMs: readNumber(env, 'RESTREAM_RECONNECT_WINDOW_SECONDS', 600, { min: 0 }) * 1000,
    drainTimeoutMs: readNumber(env, 'DRAIN_TIMEOUT_SECONDS', 300, { min: 0 }) * 1000,
    metricsToken: readOptionalString(env, 'METRICS_TOKEN'),
    originSecrets,
    restreamStatusIntervalMs: readInteger(env, 'RESTREAM_STATUS_INTERVAL_MS', 2000, { min: 100 }),
    fallback: readFallbackSettings(env),
    pull: readPullSettings(env),
  };
}

function readOriginHost(env: Env): string {
  const value = readString(env, 'ORIGIN_HOST', `127.0.0.1:${readPort(env, 'ORIGIN_HTTP_PORT', 8080)}`);
  if (!new RegExp(ORIGIN_HOST_PATTERN).test(value)) throw new SettingError('ORIGIN_HOST', value, 'host:port, e.g. 127.0.0.1:8080');
  return value;
}

function readOriginId(env: Env, rtmpPort: number): string {
  const fallback = `${os.hostname()}-${rtmpPort}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const value = readOptionalString(env, 'ORIGIN_ID') ?? fallback;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new SettingError('ORIGIN_ID', value, 'letters, digits, _ or -, at most 64');
  return value;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function originSecretList({ current, previous }: { current: string | undefined; previous: string | undefined }): string[] {
  return [current, previous].filter((secret): secret is string => secret !== undefined);
}
