import { readHttpUrl, readInteger, readNumber, readPort, readString, type Env } from '../../service-kit/src/env-settings.js';
import { readHlsSettings, type HlsSettings } from './hls/hls-settings.js';

export interface OriginSettings {
  rtmpHost: string;
  rtmpPort: number;
  httpHost: string;
  httpPort: number;
  apiUrl: string;
  authorizeTimeoutMs: number;
  /** Media a publisher may send while the API decides; more is a misbehaving client. */
  maxPendingBytes: number;
  /** Target segment duration: segments end at the first keyframe after it. */
  segmentSeconds: number;
  hls: HlsSettings;
}

export function readOriginSettings(env: Env = process.env): OriginSettings {
  return {
    rtmpHost: readString(env, 'RTMP_HOST', '0.0.0.0'),
    rtmpPort: readPort(env, 'RTMP_PORT', 1935),
    httpHost: readString(env, 'ORIGIN_HTTP_HOST', '0.0.0.0'),
    httpPort: readPort(env, 'ORIGIN_HTTP_PORT', 8080),
    apiUrl: readHttpUrl(env, 'API_URL', 'http://127.0.0.1:9090'),
    authorizeTimeoutMs: readInteger(env, 'AUTHORIZE_TIMEOUT_MS', 3000, { min: 100 }),
    maxPendingBytes: readInteger(env, 'AUTHORIZE_MAX_PENDING_BYTES', 8 * 1024 * 1024, { min: 64 * 1024 }),
    segmentSeconds: readNumber(env, 'HLS_SEGMENT_SECONDS', 2, { min: 0.5 }),
    hls: readHlsSettings(env),
  };
}
