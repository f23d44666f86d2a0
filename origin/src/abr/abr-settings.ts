import { readInteger, readString, SettingError, type Env } from '../../../service-kit/src/env-settings.js';

export interface AbrSettings {
  /** ABR_MAX_STREAMS: streams transcoded at once on this origin; past it, streams run without ABR and say so. Default 2. */
  maxStreams: number;
  /** ABR_FFMPEG_PATH: the ffmpeg that transcodes. Default `ffmpeg` (on PATH). */
  ffmpegPath: string;
  /** ABR_X264_PRESET: x264's speed/quality trade-off. Default veryfast. */
  preset: string;
  /** ABR_MAX_BACKLOG_BYTES: source bytes ffmpeg may leave unread before it counts as behind and restarts. Default 8 MiB. */
  maxBacklogBytes: number;
  /** ABR_MAX_LAG_SECONDS: how far the renditions may trail the source's media time before the ladder restarts. Default 10. */
  maxLagMs: number;
  /** ABR_RESTART_MAX_SECONDS: the longest wait between restarts of a failing ladder (1 s, doubling). Default 30. */
  restartMaxMs: number;
}

const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const;

export function readAbrSettings(env: Env): AbrSettings {
  const preset = readString(env, 'ABR_X264_PRESET', 'veryfast');
  if (!(PRESETS as readonly string[]).includes(preset)) throw new SettingError("ABR_X264_PRESET", preset, `one of ${PRESETS.join(", ")}`);
  return {
    maxStreams: readInteger(env, 'ABR_MAX_STREAMS', 2, { min: 0, max: 1000 }),
    ffmpegPath: readString(env, 'ABR_FFMPEG_PATH', 'ffmpeg'),
    preset,
    maxBacklogBytes: readInteger(env, 'ABR_MAX_BACKLOG_BYTES', 8 * 1024 * 1024, { min: 256 * 1024, max: 256 * 1024 * 1024 }),
    maxLagMs: readInteger(env, 'ABR_MAX_LAG_SECONDS', 10, { min: 2, max: 600 }) * 1000,
    restartMaxMs: readInteger(env, 'ABR_RESTART_MAX_SECONDS', 30, { min: 1, max: 3600 }) * 1000,
  };
}
