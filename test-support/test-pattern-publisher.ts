/**
 * A live test pattern published over RTMP in real time (`-re`), as an encoder in the field sends
 * it: a lavfi test picture (640x360) and a 440 Hz tone at 48 kHz, H.264 + AAC, a keyframe every
 * `gopSeconds`, `fps` frames a second (default 30), `audioChannels` (default 1, the tone's own),
 * and the stream x264's zerolatency tuning makes (no B-frames, no lookahead), so a player's latency
 * is what our platform adds. With `listen`, ffmpeg is an RTMP server at `rtmpUrl` instead,
 * sending the pattern to the one client that plays it (a pull source).
 *
 * The pattern is encoded once per parameter set into a clip under .run/test-pattern/ and played
 * looped with `-c copy`: encoding it live cost a fifth of a core per publisher for as long as it
 * ran, and the suite runs many at once. The clip loops seamlessly (see `loopSeconds`): across
 * the loop every track's timestamps step by one frame, as in a live encode, so the origin sees
 * no timestamp jump and writes no EXT-X-DISCONTINUITY, and keyframes stay `gopSeconds` apart.
 */
import path from 'node:path';
import { ensureCachedClip } from './cached-clip.js';
import { publishFile, type Publisher } from './ffmpeg.js';
import { repoRoot } from './repo-root.js';

const AUDIO_SAMPLE_RATE = 48_000;
/** An AAC frame holds 1024 samples. */
export const AAC_FRAME_SECONDS = 1024 / AUDIO_SAMPLE_RATE;
/** Loops at least this far apart: a picture repeats rarely within one test. */
const MIN_LOOP_SECONDS = 16;

/** x264 veryfast with zerolatency (no B-frames, no lookahead), 800 kb/s; AAC 96 kb/s. */
export const ZEROLATENCY_ENCODING = ['-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '800k', '-b:a', '96k'] as const;

export interface TestPatternClip {
  /** The picture's size; 640x360 unless given. */
  size?: string;
  gopSeconds: number;
  fps: number;
  audioChannels: number;
  /** The x264 and AAC settings besides those above: preset, tuning, bitrates. */
  encoding: readonly string[];
}

export async function publishTestPattern(rtmpUrl: string, { gopSeconds = 2, fps = 30, audioChannels = 1, listen = false } = {}): Promise<Publisher> {
  const clip = await ensureTestPatternClip({ gopSeconds, fps, audioChannels, encoding: ZEROLATENCY_ENCODING });
  return publishFile(clip, rtmpUrl, { loops: -1, listen });
}

/** The clip's path, made first if no process has made it yet (a few seconds). */
export function ensureTestPatternClip({ size = '640x360', gopSeconds, fps, audioChannels, encoding }: TestPatternClip): Promise<string> {
  const seconds = loopSeconds(gopSeconds, fps);
  const gop = String(gopSeconds * fps);
  return ensureCachedClip(
    path.join(repoRoot, '.run', 'test-pattern'),
    `testsrc2-${size}-${fps}fps-g${gop}-${audioChannels}ch-${seconds}s`,
    [
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${AUDIO_SAMPLE_RATE}`,
      // The AAC encoder sends one frame more than it is given (its priming frame, which FLV
      // keeps): one less in, so the audio track is exactly as long as the video. ffmpeg's
      // -stream_loop shifts every track by the longest track's length, so a longer audio track
      // would overlap itself at each loop. (Output -frames limits are no help: the first stream
      // to reach its limit ends them all, which with B-frame lookahead cut the audio short.)
      '-af', `atrim=end_sample=${(Math.round(seconds / AAC_FRAME_SECONDS) - 1) * 1024}`,
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
      '-c:a', 'aac', '-ac', String(audioChannels),
      ...encoding,
    ],
  );
}

/**
 * The clip's length: whole GOPs (keyframes stay regular across the loop), whole video frames and
 * whole AAC frames (each track ends one frame before where the next loop begins), at least
 * MIN_LOOP_SECONDS. With 2 s GOPs at 25 or 30 fps: 16 s, 400 or 480 frames and 750 AAC frames.
 */
export function loopSeconds(gopSeconds: number, fps: number): number {
  const whole = (value: number) => Math.abs(value - Math.round(value)) < 1e-6;
  for (let gops = 1; gops <= 1000; gops += 1) {
    const seconds = gops * gopSeconds;
    if (seconds >= MIN_LOOP_SECONDS && whole(seconds * fps) && whole(seconds / AAC_FRAME_SECONDS)) return seconds;
  }
  throw new Error(`no test-pattern clip of whole GOPs, video frames and AAC frames for gopSeconds ${gopSeconds} and fps ${fps}`);
}
