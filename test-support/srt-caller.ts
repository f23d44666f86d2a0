import { spawn } from 'node:child_process';
import { watchFfmpeg } from './ffmpeg.js';

export type SrtCaller = ReturnType<typeof watchFfmpeg>;

/**
 * Real ffmpeg (Debian's, built with libsrt) as an SRT caller: reads `input` in real time and sends
 * it as MPEG-TS, without transcoding, to `srtUrl` (srt://host:port?streamid=…&latency=<µs>).
 */
export function sendOverSrt(input: string, srtUrl: string, { loops = 0 }: { loops?: number } = {}): SrtCaller {
  const loop = loops !== 0 ? ['-stream_loop', String(loops)] : [];
  return runFfmpeg(['-re', ...loop, '-i', input, '-map', '0', '-c', 'copy', '-f', 'mpegts', srtUrl]);
}

/**
 * ffmpeg sending `bytes` as they are (its data format, no remuxing: two mpegts muxers do not write
 * the same bytes) to `srtUrl`, so a test knows exactly what the listener must get. They are fed
 * to ffmpeg's stdin at `bytesPerSecond`, as an encoder would produce them: a burst of the whole
 * file at once is not live traffic.
 */
export function sendBytesOverSrt(bytes: Uint8Array, srtUrl: string, { bytesPerSecond = 250_000 } = {}): SrtCaller {
  const caller = runFfmpeg(['-f', 'data', '-i', 'pipe:0', '-map', '0', '-c', 'copy', '-f', 'data', srtUrl], 'pipe');
  const chunkBytes = Math.ceil(bytesPerSecond / 50);
  let offset = 0;
  const timer = setInterval(() => {
    if (offset >= bytes.byteLength) {
      clearInterval(timer);
      caller.child.stdin?.end();
      return;
    }
    caller.child.stdin?.write(bytes.subarray(offset, offset + chunkBytes));
    offset += chunkBytes;
  }, 20);
  void caller.exited.then(() => clearInterval(timer));
  return caller;
}

function runFfmpeg(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): SrtCaller {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: [stdin, 'ignore', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  return watchFfmpeg(child);
}
