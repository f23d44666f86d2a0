/**
 * `--pin`: the server under test gets a CPU of its own and everything else (this process, the
 * ffmpeg publishers, redis-server and the API) shares the rest, as if the publishers ran on another
 * host. On a 2-core machine 200 publishers and their timing relays take about a core themselves;
 * unpinned, the server's delays measure that contention more than the server.
 */
import { execFileSync } from 'node:child_process';

/** CPU lists in taskset's syntax. */
export interface CpuSplit {
  /** The last CPU: the server under test alone. */
  server: string;
  /** Every other CPU: the bench, its publishers and the control plane. */
  rest: string;
}

/** Undefined on a one-CPU machine, where there is nothing to split. */
export function splitCpus(count: number): CpuSplit | undefined {
  if (count < 2) return undefined;
  const last = count - 1;
  return { server: String(last), rest: last === 1 ? '0' : `0-${last - 1}` };
}

/** Pins every thread of `pid` to `cpus`; threads and children it starts later inherit the mask. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}
