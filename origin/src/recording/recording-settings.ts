import { resolve } from 'node:path';
import { readInteger, readString, type Env } from '../../../service-kit/src/env-settings.js';
import { MAX_VIDEO_DURATION_S } from '../../../internal-api/src/video-contract.js';

export interface RecordingStorageSettings {
  /** RECORDINGS_PATH: `<stream>/<video uid>/` folders of recorded videos, made absolute. Default .run/recordings. */
  recordingsPath: string;
  /** RECORDING_RETENTION_DAYS: closed recordings older than this are removed (at start and hourly). Default 30. */
  retentionDays: number;
  /** VIDEO_REPORT_INTERVAL_SECONDS: how often every recording is reported to the API again. Default 30. */
  reportIntervalMs: number;
  /**
   * RECORDING_MAX_SECONDS: a video is closed once it holds this much media and the session goes
   * on in a new one. Default 43200 (12 h): each segment rewrites the whole playlist, so one that
   * grew for days would cost more per segment.
   */
  maxDurationSeconds: number;
}

export function readRecordingStorageSettings(env: Env): RecordingStorageSettings {
  return {
    recordingsPath: resolve(readString(env, 'RECORDINGS_PATH', '.run/recordings')),
    retentionDays: readInteger(env, 'RECORDING_RETENTION_DAYS', 30, { min: 1, max: 36_500 }),
    reportIntervalMs: readInteger(env, 'VIDEO_REPORT_INTERVAL_SECONDS', 30, { min: 1, max: 3_600 }) * 1000,
    maxDurationSeconds: readInteger(env, 'RECORDING_MAX_SECONDS', 12 * 3600, { min: 1, max: MAX_VIDEO_DURATION_S }),
  };
}
