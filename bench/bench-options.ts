/**
 * Benchmark settings: command-line flags, each with an environment variable and a default.
 * `npm run bench:origin -- --streams 50 --window 30`.
 */
import type { ServerKind } from './bench-servers.js';

export interface BenchOptions {
  /** --streams / BENCH_STREAMS: comma-separated publisher counts, one round per count and server. */
  streams: number[];
  /** --window / BENCH_WINDOW_SECONDS: measurement window of a round. */
  windowSeconds: number;
  /** --warmup / BENCH_WARMUP_SECONDS: from the last publisher's start to the window. */
  warmupSeconds: number;
  /** --stagger / BENCH_STAGGER_SECONDS: publisher starts are spread evenly over this long. */
  staggerSeconds: number;
  /** --servers / BENCH_SERVERS: `ours`, `nginx` or both; default both when nginx-rtmp is installed. */
  servers: ServerKind[] | undefined;
  /** --cpu-prof / BENCH_CPU_PROF=1: run our origin under `node --cpu-prof` and print its hot spots. */
  cpuProfile: boolean;
  /** --pin / BENCH_PIN=1: the server under test on a CPU of its own, everything else on the others. */
  pin: boolean;
  help: boolean;
}

/**
 * Each publisher is a real ffmpeg (`-c copy`, ~0.5 % of a core each) on the same machine: at 200
 * they take about a core of their own, which the table prints beside the server's figures.
 */
export const MAX_STREAMS = 200;

/** Publisher starts a second at most: each is an ffmpeg starting up, and a burst of them starves the server. */
export const MAX_STARTS_PER_SECOND = 20;

export const USAGE = `usage: npm run bench:origin -- [options]

  --streams 1,10,25   publisher counts, one round each per server (BENCH_STREAMS; max ${MAX_STREAMS});
                      the cost curve: --streams 10,50,100,200
  --window 20         measurement window in seconds (BENCH_WINDOW_SECONDS)
  --warmup 8          seconds from the last publisher's start to the window (BENCH_WARMUP_SECONDS)
  --stagger 2         publisher starts are spread over this many seconds (BENCH_STAGGER_SECONDS),
                      longer when needed for at most ${MAX_STARTS_PER_SECOND} starts a second
  --servers ours,nginx  which servers to run (BENCH_SERVERS; default both if nginx-rtmp is installed)
  --cpu-prof          profile our origin (node --cpu-prof) and print its top functions (BENCH_CPU_PROF=1)
  --pin               the server under test runs on the last CPU alone; this bench, its publishers,
                      redis-server and the API on the others, as if the publishers were on another
                      host (BENCH_PIN=1; taskset, needs 2 CPUs)
  --help`;

export class BenchOptionError extends Error {
  constructor(name: string, value: string, expected: string) {
    super(`${name}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}

/** `--name value` and `--name=value` pairs; `--cpu-prof`, `--pin` and `--help` take no value. */
export function flagValues(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new BenchOptionError('arguments', arg, 'flags such as --streams 10 (see --help)');
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'cpu-prof' || name === 'pin' || name === 'help') {
      values.set(name, inline ?? '1');
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined) throw new BenchOptionError(`--${name}`, '', 'a value');
    if (inline === undefined) i += 1;
    values.set(name, value);
  }
  return values;
}

export function seconds(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new BenchOptionError(name, value, `seconds between ${min} and ${max}`);
  return parsed;
}

/** A comma-separated list of counts from 1 to `max`, one round each. */
export function counts(name: string, text: string, max: number): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new BenchOptionError(name, text, `comma-separated integers from 1 to ${max}`);
  }
  return values;
}

export function readBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = flagValues(argv);
  const known = new Set(['streams', 'window', 'warmup', 'stagger', 'servers', 'cpu-prof', 'pin', 'help']);
  for (const name of flags.keys()) if (!known.has(name)) throw new BenchOptionError(`--${name}`, name, 'a known flag (see --help)');
  const pick = (flag: string, variable: string, fallback: string) => flags.get(flag) ?? env[variable] ?? fallback;

  const streamsText = pick('streams', 'BENCH_STREAMS', '1,10,25');
  const streams = counts('--streams (BENCH_STREAMS)', streamsText, MAX_STREAMS);
  const serversText = flags.get('servers') ?? env.BENCH_SERVERS;
  let servers: ServerKind[] | undefined;
  if (serversText !== undefined) {
    const parts = serversText.split(',').map((part) => part.trim());
    if (parts.length === 0 || parts.some((part) => part !== 'ours' && part !== 'nginx')) {
      throw new BenchOptionError('--servers (BENCH_SERVERS)', serversText, '"ours", "nginx" or "ours,nginx"');
    }
    servers = [...new Set(parts as ServerKind[])];
  }
  return {
    streams,
    windowSeconds: seconds('--window (BENCH_WINDOW_SECONDS)', pick('window', 'BENCH_WINDOW_SECONDS', '20'), 4, 600),
    warmupSeconds: seconds('--warmup (BENCH_WARMUP_SECONDS)', pick('warmup', 'BENCH_WARMUP_SECONDS', '8'), 4, 600),
    staggerSeconds: seconds('--stagger (BENCH_STAGGER_SECONDS)', pick('stagger', 'BENCH_STAGGER_SECONDS', '2'), 0, 60),
    servers,
    cpuProfile: pick('cpu-prof', 'BENCH_CPU_PROF', '0') !== '0',
    pin: pick('pin', 'BENCH_PIN', '0') !== '0',
    help: flags.has('help'),
  };
}
