/**
 * ffprobe and ffmpeg for fallback videos, each a child process with a deadline: the event loop
 * never waits on media work, and a pathological input is killed instead of running forever.
 */
import { execFile } from 'node:child_process';
import { scaleFilter, type Resolution } from './output-resolution.js';

/** ffprobe's JSON is small; ffmpeg at -loglevel error writes little. Bounds what is kept. */
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Demuxers an upload may use: video containers that hold their media themselves. Playlist and
 * reference formats (HLS, concat, image sequences, …) are refused, and only the `file` protocol
 * is allowed, because those formats make ffmpeg open other files or URLs the upload names
 * (reading the server's files or probing its network). A name matches any of the demuxer's
 * aliases, e.g. `mov` covers mp4 and m4v, `matroska` covers webm.
 */
export const UPLOAD_DEMUXERS = 'mov,matroska,flv,avi,mpegts,mpeg,asf,ogg,gif';
const UPLOAD_INPUT_GUARD = ['-protocol_whitelist', 'file', '-format_whitelist', UPLOAD_DEMUXERS];

export class MediaToolError extends Error {
  constructor(
    readonly tool: 'ffprobe' | 'ffmpeg',
    /** `failed`: non-zero exit (the input is the likely cause); `timeout`; `missing`: not installed. */
    readonly kind: 'failed' | 'timeout' | 'missing',
    /** The tool's first error line, paths replaced by names. */
    readonly detail: string,
  ) {
    super(`${tool} ${kind}: ${detail}`);
  }
}

export interface ProbedMedia {
  /** The first real video stream (not cover art); null when there is none. */
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  hasAudio: boolean;
  durationS: number | null;
  /** What the streams are, for messages: e.g. `audio (aac)`. */
  streams: string[];
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    disposition?: { attached_pic?: number };
  }[];
  format?: { duration?: string };
}

export async function probeMedia(file: string, timeoutMs: number, names: Record<string, string>): Promise<ProbedMedia> {
  const args = ['-v', 'error', ...UPLOAD_INPUT_GUARD, '-show_streams', '-show_format', '-of', 'json', file];
  const { stdout } = await run('ffprobe', args, timeoutMs, names);
  const probe = JSON.parse(stdout) as ProbeJson;
  const streams = probe.streams ?? [];
  const video = streams.find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  const duration = Number(probe.format?.duration);
  return {
    video:
      video && video.width && video.height
        ? {
            codec: video.codec_name ?? 'unknown',
            width: video.width,
            height: video.height,
            fps: frameRate(video.avg_frame_rate) ?? frameRate(video.r_frame_rate),
          }
        : null,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    durationS: Number.isFinite(duration) && duration > 0 ? duration : null,
    streams: streams.map((stream) => `${stream.codec_type ?? 'data'} (${stream.codec_name ?? 'unknown'})`),
  };
}

export interface FallbackConversion {
  input: string;
  output: string;
  /** Whether the input has audio; without, a silent track is added so targets always get audio. */
  hasAudio: boolean;
  /** The input's frame rate, for the keyframe interval in frames; null when unknown. */
  fps: number | null;
  maxDurationS: number;
  /** The converted picture fits this box; a larger one is scaled down. */
  maxResolution: Resolution;
  keyframeSeconds: number;
  timeoutMs: number;
  /** Paths to replace in error messages. */
  names: Record<string, string>;
}

/** Frame rate assumed for the GOP length when the input does not say (the time-based keyframes still apply). */
const ASSUMED_FPS = 30;

/**
 * H.264 main / AAC-LC 48 kHz stereo in FLV: what every RTMP target takes, so origins can push the
 * file as it is. Keyframes every `keyframeSeconds` so that switching to it and HLS segments
 * cut cleanly; at most `maxResolution`, even dimensions for yuv420p; metadata (e.g. a phone's
 * location) dropped.
 */
export function fallbackFfmpegArgs(conversion: FallbackConversion): string[] {
  const { input, output, hasAudio, fps, maxDurationS, maxResolution, keyframeSeconds } = conversion;
  const gop = Math.max(1, Math.round((fps !== null && fps > 0 && fps <= 240 ? fps : ASSUMED_FPS) * keyframeSeconds));
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...UPLOAD_INPUT_GUARD, '-i', input];
  if (!hasAudio) args.push('-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
  args.push('-map', '0:v:0', '-map', hasAudio ? '0:a:0' : '1:a:0');
  args.push(
    '-t', String(maxDurationS),
    '-vf', scaleFilter(maxResolution),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${keyframeSeconds})`,
    '-c:a', 'aac', '-ar', '48000', '-ac', '2',
    '-map_metadata', '-1',
  );
  // The silent track is endless: the video decides where the file ends.
  if (!hasAudio) args.push('-shortest');
  args.push('-f', 'flv', output);
  return args;
}

export async function convertToFallback(conversion: FallbackConversion): Promise<void> {
  await run('ffmpeg', fallbackFfmpegArgs(conversion), conversion.timeoutMs, conversion.names);
}

function frameRate(text: string | undefined): number | null {
  const [numerator, denominator] = (text ?? '').split('/').map(Number);
  if (!numerator || !denominator) return null;
  return numerator / denominator;
}

function run(tool: 'ffprobe' | 'ffmpeg', args: string[], timeoutMs: number, names: Record<string, string>) {
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const detail = firstLine(stderr, names) || error.message;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new MediaToolError(tool, 'missing', `${tool} is not installed`));
      if (error.killed) return reject(new MediaToolError(tool, 'timeout', `${tool} ran longer than ${timeoutMs} ms`));
      reject(new MediaToolError(tool, 'failed', detail));
    });
  });
}

/**
 * The first line of a tool's error output, readable: temporary paths replaced by what they are,
 * a refused format named as such, ffmpeg's `[demuxer @ 0x…]` prefix dropped.
 */
function firstLine(stderr: string, names: Record<string, string>): string {
  let line = stderr.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const refused = /^\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(line);
  if (refused) return `its format (${refused[1]}) is not a video container this API takes (${UPLOAD_DEMUXERS})`;
  line = line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '');
  for (const [path, name] of Object.entries(names)) line = line.replaceAll(path, name);
  return line.trim().slice(0, 300);
}
