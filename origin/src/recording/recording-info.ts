import { VIDEO_UID_PATTERN as VIDEO_UID_CONTRACT_PATTERN } from '../../../internal-api/src/video-contract.js';

/**
 * `recording.json` beside a recording's playlist: what the videos API lists without reading the
 * media. Pure: data to text and back.
 */
export interface RecordingInfo {
  /** The video's uid: 32 lowercase hex characters. */
  uid: string;
  /** The stream (live input) it was recorded from. */
  stream: string;
  /** ISO 8601: when its first publish started. */
  created: string;
  /** ISO 8601 once closed (publisher gone past the timeout, origin stopped or restarted); null while recording. */
  ended: string | null;
  /** Media time of its segments. */
  duration_s: number;
  /** Bytes of its segments. */
  size_bytes: number;
  /** The publisher's video size; null until known (or audio only). */
  width: number | null;
  height: number | null;
}

/** The contract's video uid (internal-api/src/video-contract.ts), which the API validates reports against. */
export const VIDEO_UID_PATTERN = new RegExp(VIDEO_UID_CONTRACT_PATTERN);

export class RecordingInfoError extends Error {
  readonly code = 'LIVE_ERR_RECORDING_INFO';
  override readonly name = 'RecordingInfoError';
}

export function stringifyRecordingInfo(info: RecordingInfo): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}

export function parseRecordingInfo(text: string): RecordingInfo {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RecordingInfoError(`recording.json is not JSON: ${(error as Error).message}`);
  }
  const info = value as Partial<RecordingInfo> | null;
  const sizeOrNull = (size: unknown) => size === null || (Number.isInteger(size) && (size as number) > 0);
  const valid =
    info !== null &&
    typeof info === 'object' &&
    typeof info.uid === 'string' &&
    VIDEO_UID_PATTERN.test(info.uid) &&
    typeof info.stream === 'string' &&
    isDate(info.created) &&
    (info.ended === null || isDate(info.ended)) &&
    typeof info.duration_s === 'number' &&
    info.duration_s >= 0 &&
    Number.isInteger(info.size_bytes) &&
    (info.size_bytes as number) >= 0 &&
    sizeOrNull(info.width) &&
    sizeOrNull(info.height);
  if (!valid) throw new RecordingInfoError(`recording.json does not hold a recording: ${text.slice(0, 200)}`);
  return info as RecordingInfo;
}

function isDate(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}
