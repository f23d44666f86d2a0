/**
 * `npm run bench:restream` settings: command-line flags, each with an environment variable and a
 * default. `npm run bench:restream -- --targets 1,3,10 --window 15`.
 */
import { BenchOptionError, counts, flagValues, seconds } from './bench-options.js';
import type { ReceiverKind } from './bench-receiver.js';

export interface RestreamBenchOptions {
  /** --targets / BENCH_TARGETS: targets per stream, one round per count and side. */
  targets: number[];
  /** --window / BENCH_WINDOW_SECONDS: measurement window of a round. */
  windowSeconds: number;
  /** --warmup / BENCH_WARMUP_SECONDS: from the last push reaching the receiver to the window. */
  warmupSeconds: number;
  /** --receiver / BENCH_RECEIVER: `nginx` or `node`; default nginx when nginx-rtmp is installed. */
  receiver: ReceiverKind | undefined;
  help: boolean;
}

/** Each ffmpeg relay is a process on the same 2-core machine; more than this measures the machine. */
export const MAX_TARGETS = 50;

export const RESTREAM_USAGE = `usage: npm run bench:restream -- [options]

  --targets 1,3,10    targets per stream, one round each for our origin and for ffmpeg relays (BENCH_TARGETS; max ${MAX_TARGETS})
  --window 15         measurement window in seconds (BENCH_WINDOW_SECONDS)
  --warmup 5          seconds from every push reaching the receiver to the window (BENCH_WARMUP_SECONDS)
  --receiver nginx    RTMP receiver of both sides: nginx (nginx-rtmp) or node (BENCH_RECEIVER; default nginx if installed)
  --help`;

export function readRestreamBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RestreamBenchOptions {
  const flags = flagValues(argv);
  const known = new Set(['targets', 'window', 'warmup', 'receiver', 'help']);
  for (const name of flags.keys()) if (!known.has(name)) throw new BenchOptionError(`--${name}`, name, 'a known flag (see --help)');
  const pick = (flag: string, variable: string, fallback: string) => flags.get(flag) ?? env[variable] ?? fallback;
  const receiver = flags.get('receiver') ?? env.BENCH_RECEIVER;
  if (receiver !== undefined && receiver !== 'nginx' && receiver !== 'node') {
    throw new BenchOptionError('--receiver (BENCH_RECEIVER)', receiver, '"nginx" or "node"');
  }
  return {
    targets: [...new Set(counts('--targets (BENCH_TARGETS)', pick('targets', 'BENCH_TARGETS', '1,3,10'), MAX_TARGETS))],
    windowSeconds: seconds('--window (BENCH_WINDOW_SECONDS)', pick('window', 'BENCH_WINDOW_SECONDS', '15'), 4, 600),
    warmupSeconds: seconds('--warmup (BENCH_WARMUP_SECONDS)', pick('warmup', 'BENCH_WARMUP_SECONDS', '5'), 2, 600),
    receiver,
    help: flags.has('help'),
  };
}
