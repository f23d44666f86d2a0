/**
 * The ffmpeg command line of one stream's ladder: FLV in on stdin (the source as the origin
 * received it), one FLV out per rendition on fd 3, 4, ... Source timestamps are kept (-copyts,
 * passthrough frame timing) and every rendition's keyframes are exactly the source's
 * (`-force_key_frames source`, no keyframes of x264's own), so our packager cuts each rendition
 * where it cut the source. Audio is copied, not encoded again: every rendition carries the
 * source's AAC, which costs no CPU and keeps one audio timeline for all variants.
 */
import type { Rendition } from './abr-ladder.js';

/** The first file descriptor of the renditions' outputs (0-2 are stdin, stdout, stderr). */
export const FIRST_OUTPUT_FD = 3;

export interface LadderEncoding {
  /** x264 preset: `veryfast` by default (ABR_X264_PRESET). */
  preset: string;
}

export function ffmpegLadderArgs(renditions: readonly Rendition[], encoding: LadderEncoding): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning'];
  // The stream starts with its sequence headers: little probing is needed, and each ms of it is latency.
  args.push('-fflags', '+nobuffer', '-probesize', '65536', '-analyzeduration', '500000');
  args.push('-f', 'flv', '-i', 'pipe:0', '-copyts');
  renditions.forEach((rendition, index) => {
    args.push('-map', '0:v:0', '-map', '0:a:0?');
    args.push('-c:v', 'libx264', '-preset', encoding.preset, '-tune', 'zerolatency', '-profile:v', 'main');
    // No B-frames (decode order is presentation order), no scene-cut or periodic keyframes.
    args.push('-bf', '0', '-x264-params', 'scenecut=0:keyint=infinite:min-keyint=1', '-force_key_frames', 'source');
    // Timestamps in FLV's own unit: left to guess a frame rate (no onMetaData reaches it), the
    // encoder's time base drifted a millisecond a second off the source's.
    args.push('-enc_time_base', '1:1000', '-fps_mode', 'passthrough', '-vf', `scale=${rendition.width}:${rendition.height}`, '-pix_fmt', 'yuv420p');
    const bitrate = rendition.videoBitrateBps;
    args.push('-b:v', `${bitrate}`, '-maxrate', `${bitrate}`, '-bufsize', `${bitrate * 2}`);
    args.push('-c:a', 'copy');
    // Each packet leaves at once: a low rendition would otherwise wait for 32 KiB of output.
    args.push('-flush_packets', '1', '-f', 'flv', `pipe:${FIRST_OUTPUT_FD + index}`);
  });
  return args;
}
