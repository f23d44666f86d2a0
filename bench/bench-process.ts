/**
 * The benchmark process itself, shared by every `npm run bench:*`: its log, its priority, and
 * stopping everything it started on success, failure or Ctrl-C.
 */
import os from 'node:os';
import type { Publisher } from '../test-support/ffmpeg.js';

/** Niceness of the benchmark and (inherited) of everything it starts, when the user may set it. */
const BENCH_NICENESS = -5;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Progress goes to stderr; the results alone go to stdout. */
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** Everything started, stopped in reverse order on success, failure or Ctrl-C. */
export class Cleanup {
  readonly #tasks: Array<{ name: string; run: () => Promise<void> }> = [];

  add(name: string, run: () => Promise<void>): () => Promise<void> {
    const task = { name, run };
    this.#tasks.push(task);
    return async () => {
      const index = this.#tasks.indexOf(task);
      if (index >= 0) this.#tasks.splice(index, 1);
      await run();
    };
  }

  async runAll(): Promise<void> {
    while (this.#tasks.length > 0) {
      const task = this.#tasks.pop()!;
      await task.run().catch((error: unknown) => log(`cleanup of ${task.name} failed: ${(error as Error).message}`));
    }
  }
}

/** SIGINT (ffmpeg finishes the FLV), SIGKILL if it has not exited 3 s later. */
export async function stopPublisher(publisher: Publisher): Promise<void> {
  const timer = setTimeout(() => publisher.child.kill('SIGKILL'), 3000);
  await publisher.stop();
  clearTimeout(timer);
}

/**
 * Runs `main`, then every cleanup task, and exits with main's code: 1 if it threw, 130 on SIGINT
 * or SIGTERM (which run the cleanup first; a second signal exits at once).
 */
export function runBench(main: () => Promise<number>, cleanup: Cleanup): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      log(`\n${signal}: stopping everything the benchmark started`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }

  main().then(
    async (code) => {
      await cleanup.runAll();
      process.exit(code);
    },
    async (error: unknown) => {
      log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      await cleanup.runAll();
      process.exit(1);
    },
  );
}

/** Other work on a shared machine disturbs the figures less; among themselves the benchmark's processes keep equal priority. */
export function raiseBenchPriority(): void {
  try {
    os.setPriority(BENCH_NICENESS);
  } catch {
    log('note: cannot raise the priority (needs root); other work on this machine will show in the figures');
  }
}
