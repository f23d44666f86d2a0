import {
  readHttpUrl,
  readInteger,
  readNumber,
  readPort,
  readString,
  type Env,
} from '../../service-kit/src/env-settings.js';

export interface OriginSettings {
  rtmpHost: string;
  rtmpPort: number;
  httpHost: string;
  httpPort: number;
  /** Folder holding one subfolder per live stream (nginx-rtmp's `hls_nested on` layout). */
  hlsPath: string;
  apiUrl: string;
  authorizeTimeoutMs: number;
  /** Media a publisher may send while the API decides; more is a misbehaving client. */
  maxPendingBytes: number;
  segmentSeconds: number;
  windowSeconds: number;
  /** How long segments stay on disk after leaving the playlist (players with an older copy). */
  segmentGraceSeconds: number;
  /** How long an ended stream's folder is kept (a returning publisher continues it). */
  endedStreamKeepSeconds: number;
}

export function readOriginSettings(env: Env = process.env): OriginSettings {
  const windowSeconds = readNumber(env, 'HLS_WINDOW_SECONDS', 60, { min: 1 });
  return {
    rtmpHost: readString(env, 'RTMP_HOST', '0.0.0.0'),
    rtmpPort: readPort(env, 'RTMP_PORT', 1935),
    httpHost: readString(env, 'ORIGIN_HTTP_HOST', '0.0.0.0'),
    httpPort: readPort(env, 'ORIGIN_HTTP_PORT', 8080),
    hlsPath: readString(env, 'HLS_PATH', '.run/hls'),
    apiUrl: readHttpUrl(env, 'API_URL', 'http://127.0.0.1:9090'),
    authorizeTimeoutMs: readInteger(env, 'AUTHORIZE_TIMEOUT_MS', 3000, { min: 100 }),
    maxPendingBytes: readInteger(env, 'AUTHORIZE_MAX_PENDING_BYTES', 8 * 1024 * 1024, { min: 64 * 1024 }),
    segmentSeconds: readNumber(env, 'HLS_SEGMENT_SECONDS', 2, { min: 0.5 }),
    windowSeconds,
    segmentGraceSeconds: readNumber(env, 'HLS_SEGMENT_GRACE_SECONDS', windowSeconds, { min: 0 }),
    endedStreamKeepSeconds: readNumber(env, 'HLS_ENDED_KEEP_SECONDS', 300, { min: 0 }),
  };
}
