import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root.js';

const execFileAsync = promisify(execFile);

/** The repository's test-assets/, from the source and from the build (dist/), as the benchmarks run. */
export const testAssetsDir = path.join(repoRoot, 'test-assets');

export function testAsset(name: string): string {
  return path.join(testAssetsDir, name);
}

export interface Publisher {
  child: ChildProcess;
  /** Resolves with the exit code once ffmpeg has exited. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * Publishes a file over RTMP in real time with real ffmpeg, without transcoding; `loops` -1
 * repeats it until stopped, `seconds` stops it after that much media. With `listen`, ffmpeg is an
 * RTMP server at `rtmpUrl` instead, sending to the one client that plays it (a pull source).
 */
export function publishFile(file: string, rtmpUrl: string, { loops = 0, seconds = 0, listen = false } = {}): Publisher {
  const input = loops !== 0 ? ['-stream_loop', String(loops)] : [];
  const output = [...(seconds > 0 ? ['-t', String(seconds)] : []), ...(listen ? ['-listen', '1'] : [])];
  return publishWithFfmpeg([...input, '-i', file, '-c', 'copy', ...output], rtmpUrl);
}

/**
 * Publishes over RTMP in real time with real ffmpeg; `args` name the inputs and the encoding
 * (e.g. a lavfi test source encoded with libx264), everything between `-re` and `-f flv`.
 */
export function publishWithFfmpeg(args: string[], rtmpUrl: string): Publisher {
  return watchFfmpeg(spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', ...args, '-f', 'flv', rtmpUrl], { stdio: ['ignore', 'ignore', 'pipe'] }));
}

/** A running ffmpeg as a test holds it: its exit, what it printed, a way to stop it (SIGINT: it finishes its output). */
export function watchFfmpeg(child: ChildProcess): Publisher & { readonly stderr: string } {
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

export interface ProbedPacket {
  codec_type: 'video' | 'audio';
  pts_time?: string;
  dts_time?: string;
  duration_time?: string;
  flags: string;
}

export interface ProbeResult {
  streams: Array<{ codec_type: string; codec_name: string; profile?: string }>;
  packets: ProbedPacket[];
  errors: string;
}

/** Runs real ffprobe over a file or URL and returns its streams, packets and error output. */
export async function ffprobe(input: string): Promise<ProbeResult> {
  const { stdout, stderr } = await execFileAsync(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', input],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed = JSON.parse(stdout) as { streams?: ProbeResult['streams']; packets?: ProbedPacket[] };
  return { streams: parsed.streams ?? [], packets: parsed.packets ?? [], errors: stderr.trim() };
}
