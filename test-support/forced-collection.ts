/**
 * A full garbage collection in a Node service started with `--heapsnapshot-signal=SIGUSR2
 * --diagnostic-dir=<dir>` (NODE_OPTIONS takes both): V8 collects everything it can before it
 * writes a heap snapshot, so the service's memory figures read afterwards show what it really
 * retains rather than what waits for the collector. The service needs no code of its own for it.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from './wait-for.js';

/** The node flags to start the service with; snapshots go to `dir`. */
export function snapshotOnSignalFlags(dir: string): string[] {
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

/**
 * Signals `pid` and resolves once its snapshot file in `dir` has stopped growing (the collection
 * is long over by then). `keep`: leave the file for a closer look; otherwise it is deleted.
 */
export async function forceFullCollection(pid: number, dir: string, { keep = false, timeoutMs = 120_000 } = {}): Promise<string> {
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  let lastSize = -1;
  const file = await waitFor(
    'the heap snapshot to be written',
    async () => {
      const name = (await readdir(dir)).find((entry) => entry.endsWith('.heapsnapshot') && !before.has(entry));
      if (!name) return undefined;
      const file = path.join(dir, name);
      const { size } = await stat(file);
      const done = size > 0 && size === lastSize;
      lastSize = size;
      return done ? file : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (!keep) await rm(file, { force: true });
  return file;
}
