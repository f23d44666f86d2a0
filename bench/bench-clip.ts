/**
 * The benchmark's publisher input: a 720p30 H.264 + AAC FLV clip at a broadcast-like 2.5 Mb/s,
 * made once with ffmpeg and cached (test-support/cached-clip.ts).
 */
import { ensureCachedClip } from '../test-support/cached-clip.js';

export const CLIP = {
  size: '1280x720',
  fps: 30,
  videoKbps: 2500,
  audioKbps: 128,
  seconds: 20,
  /** A keyframe every 2 s, exactly: both servers cut 2 s segments on it. */
  gop: 60,
} as const;

export function clipDescription(): string {
  return `${CLIP.size}@${CLIP.fps} H.264 ${CLIP.videoKbps} kb/s (GOP ${CLIP.gop}) + AAC ${CLIP.audioKbps} kb/s, ${CLIP.seconds} s looped`;
}

/** Returns the cached clip's path, making it first if needed (about 10-30 s on 2 cores). */
export function ensureBenchClip(cacheDir: string, log: (line: string) => void): Promise<string> {
  const label = `testsrc2-${CLIP.size}-${CLIP.fps}fps-${CLIP.videoKbps}k-g${CLIP.gop}-aac${CLIP.audioKbps}k-${CLIP.seconds}s`;
  // -sc_threshold 0 and -keyint_min: no extra keyframes at scene cuts, so GOPs are exactly 2 s.
  return ensureCachedClip(
    cacheDir,
    label,
    [
      '-f', 'lavfi', '-i', `testsrc2=size=${CLIP.size}:rate=${CLIP.fps}`,
      '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
      '-t', String(CLIP.seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
      '-b:v', `${CLIP.videoKbps}k`, '-maxrate', `${CLIP.videoKbps}k`, '-bufsize', `${CLIP.videoKbps * 2}k`,
      '-g', String(CLIP.gop), '-keyint_min', String(CLIP.gop), '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', `${CLIP.audioKbps}k`, '-ac', '2',
    ],
    { onMake: (file) => log(`making the benchmark clip ${file} (once)`) },
  );
}
