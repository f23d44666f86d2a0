/** `wrk` for the edge benchmark: installed with apt-get when missing, run, and its report read. */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { log } from './bench-process.js';

const execFileAsync = promisify(execFile);

export interface WrkOptions {
  threads: number;
  connections: number;
  seconds: number;
}

export interface WrkResult {
  requestsPerSecond: number;
  bytesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Installs Debian's wrk when it is missing (as root, or with password-less sudo). */
export function ensureWrk(): void {
  if (hasWrk()) return;
  log('==> installing wrk (apt-get)');
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]) => {
    const [command, ...rest] = [...asRoot, ...args];
    const result = spawnSync(command!, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: install wrk by hand (apt-get install wrk)`);
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'wrk']);
  if (!hasWrk()) throw new Error('wrk is still missing after apt-get install wrk');
}

export async function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(options.threads), '-c', String(options.connections), '-d', `${options.seconds}s`, '--latency', url];
  const { stdout } = await execFileAsync('wrk', args, { maxBuffer: 1024 * 1024 });
  return parseWrk(stdout);
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Reads wrk's text report (wrk 4: sizes in 1024 units, latencies with their unit). */
export function parseWrk(text: string): WrkResult {
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`wrk's report has no ${pattern}:\n${text}`);
    return Number(match[1]);
  };
  const withUnit = (pattern: RegExp, units: Record<string, number>): number => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`wrk's report has no ${pattern}:\n${text}`);
    return Number(match[1]) * (units[match[2]!] ?? NaN);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSecond: withUnit(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB|TB)/, SIZE_UNITS),
    p50Ms: withUnit(/^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m, TIME_UNITS),
    p99Ms: withUnit(/^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m, TIME_UNITS),
    non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(text) ? number(/Non-2xx or 3xx responses: (\d+)/) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}
