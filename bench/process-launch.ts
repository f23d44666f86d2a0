/** How a running process was started, read from /proc: enough to start it again the same way. */
import { readFile, readlink } from 'node:fs/promises';

export interface ProcessLaunch {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** NUL-separated fields, as /proc/<pid>/cmdline and /proc/<pid>/environ hold them. */
function nulFields(text: string): string[] {
  return text.split('\0').filter((field) => field !== '');
}

export async function readProcessEnv(pid: number): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const entry of nulFields(await readFile(`/proc/${pid}/environ`, 'utf8'))) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

export async function readProcessLaunch(pid: number): Promise<ProcessLaunch> {
  return {
    argv: nulFields(await readFile(`/proc/${pid}/cmdline`, 'utf8')),
    env: await readProcessEnv(pid),
    cwd: await readlink(`/proc/${pid}/cwd`),
  };
}
