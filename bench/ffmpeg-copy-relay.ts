/**
 * The restreaming the platform replaces: one `ffmpeg -i <live RTMP> -c copy -f flv <target>` process
 * per target (seed 000's "FFmpeg Copy"), shaped like a test-support publisher so the same stop applies.
 */
import { spawn } from 'node:child_process';
import type { Publisher } from '../test-support/ffmpeg.js';

export type CopyRelay = Publisher & { readonly stderr: string };

export function startCopyRelay(sourceUrl: string, targetUrl: string): CopyRelay {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', sourceUrl, '-c', 'copy', '-f', 'flv', targetUrl], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    get stderr() {
      return stderr;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
