/** One platform service run from the build (`npm run build`) as its own process, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test-support/repo-root.js';
import { waitFor } from '../test-support/wait-for.js';


export type ServiceName = 'api' | 'origin' | 'discovery' | 'edge';

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the service printed (its pino lines). */
  output: string;
}

/** One line a service logged (pino JSON); a line that is not JSON (a crash's stack) as its `msg`. */
export interface LogEntry {
  time?: number;
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

/** A service's output as log entries, in order. */
export function logEntriesOf(output: string): LogEntry[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const entry: unknown = JSON.parse(line);
        if (entry && typeof entry === 'object' && !Array.isArray(entry)) return entry as LogEntry;
      } catch {
        // Not a pino line: kept as text below.
      }
      return { msg: line };
    });
}

export function startService(name: ServiceName, env: Record<string, string>): ServiceProcess {
  const entry = path.join(repoRoot, 'dist', name, 'src', 'server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  // The origin as scripts/platform.sh starts it (see "Origin memory" in docs/scaling.md).
  const flags = name === 'origin' ? ['--max-semi-space-size=4'] : [];
  const child = spawn(process.execPath, [...flags, entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: ServiceProcess = { child, output: '' };
  const collect = (chunk: Buffer) => {
    service.output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return service;
}

/**
 * SIGINT (the service's graceful stop, without the origin's drain, which SIGTERM starts), SIGKILL
 * after 5 s.
 */
export async function stopService(service: ServiceProcess): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** True when `url` answers 2xx: `/health` of the API and the edge, `/ready` of the origin. */
export async function answersOk(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  await response?.body?.cancel();
  return response?.ok ?? false;
}

/**
 * Waits until `ready` holds, failing at once if the service exits first. The limit is generous: a
 * loaded machine starts services slowly, and a limit that is too short makes a flaky test.
 */
export async function waitUntilReady(
  name: string,
  service: ServiceProcess,
  ready: () => Promise<boolean> | boolean,
  { timeoutMs = 120_000 } = {},
): Promise<void> {
  const { child } = service;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  await waitFor(`${name} to be ready`, async () => exited() || (await ready()), { timeoutMs, intervalMs: 50 });
  if (exited()) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
}
