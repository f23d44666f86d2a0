/**
 * CPU time and memory of processes from Linux /proc, read the same way for every server.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuTimes {
  /** utime: seconds running this process's own code (all threads). */
  user: number;
  /** stime: seconds in the kernel on its behalf (system calls, page faults). */
  system: number;
}

const NO_TIME: CpuTimes = { user: 0, system: 0 };

/** utime and stime of a process (all its threads), in seconds; zero once it is gone. */
export function cpuTimes(pid: number): CpuTimes {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 counting from field 3.
    return { user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND, system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return NO_TIME;
  }
}

/** Resident set size (VmRSS) in bytes; 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory only this process holds (Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup), in
 * bytes: what one more such process costs, where VmRSS counts shared libraries again in every
 * process that maps them. 0 once the process is gone.
 */
export function privateBytes(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
    return (kB('Private_Clean') + kB('Private_Dirty')) * 1024;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  // idle and iowait
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Tracks the CPU time a changing set of processes used between `start()` and `stop()`. */
export class CpuMeter {
  readonly #start = new Map<number, CpuTimes>();
  readonly #last = new Map<number, CpuTimes>();

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.#start.clear();
    this.#last.clear();
    for (const pid of this.pids()) this.#start.set(pid, cpuTimes(pid));
  }

  /** Call now and then, so the time of a process that exits before `stop()` is not lost. */
  sample(): void {
    for (const pid of this.pids()) {
      const times = cpuTimes(pid);
      if (times.user + times.system > 0) this.#last.set(pid, times);
      if (!this.#start.has(pid)) this.#start.set(pid, NO_TIME);
    }
  }

  /** CPU seconds used since `start()`. */
  stop(): CpuTimes & { total: number } {
    this.sample();
    const used = { user: 0, system: 0 };
    for (const [pid, last] of this.#last) {
      const first = this.#start.get(pid) ?? NO_TIME;
      used.user += last.user - first.user;
      used.system += last.system - first.system;
    }
    return { ...used, total: used.user + used.system };
  }
}
