import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ownerFolderName, ownerState, parseOwnerFolderName, type ProcessIdentity } from './work-owner.js';

/** Inside FALLBACK_PATH, so a finished conversion is renamed into place, never copied. */
const WORK_DIR = '.incoming';

/**
 * A job of a process this host cannot see (another host's) is a leftover once nothing in it has
 * changed for this long: far longer than any upload, wait and conversion can take.
 */
const STALE_JOB_MS = 24 * 3600 * 1000;

export interface FallbackWorkspace {
  upload: string;
  output: string;
  /** The size of the converted file. */
  outputBytes(): Promise<number>;
  /** Removes the workspace and whatever is left in it. */
  dispose(): Promise<void>;
}

export function currentProcess(): ProcessIdentity {
  return { host: os.hostname(), pid: process.pid, startedAtMs: Math.round(performance.timeOrigin) };
}

/** Whether a process with this pid runs on this host (one of another user counts too). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Uploads and conversions in progress: `FALLBACK_PATH/.incoming/<host>.<pid>.<start>/job-*`,
 * one folder per job inside this process's own folder.
 */
export class FallbackWorkArea {
  private readonly root: string;

  constructor(
    fallbackPath: string,
    private readonly self: ProcessIdentity = currentProcess(),
  ) {
    this.root = path.join(fallbackPath, WORK_DIR);
  }

  async workspace(): Promise<FallbackWorkspace> {
    const mine = path.join(this.root, ownerFolderName(this.self));
    await mkdir(mine, { recursive: true });
    const dir = await mkdtemp(path.join(mine, 'job-'));
    const output = path.join(dir, 'fallback.flv');
    return {
      upload: path.join(dir, 'upload'),
      output,
      outputBytes: async () => (await stat(output)).size,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }

  /**
   * Removes what crashed processes left: everything of a process of this host that no longer
   * runs (an earlier run of this API included), and jobs of any other owner untouched for a day.
   * Returns the number of folders removed.
   */
  async sweepLeftovers(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await listOrEmpty(this.root)) {
      const folder = path.join(this.root, name);
      const owner = parseOwnerFolderName(name);
      const state = ownerState(owner, this.self, isRunning);
      if (state === 'dead') {
        await rm(folder, { recursive: true, force: true });
        removed++;
        continue;
      }
      // An unrecognised entry is taken for a job itself (an older layout had no owner folders).
      const jobs = owner === null ? [folder] : (await listOrEmpty(folder)).map((job) => path.join(folder, job));
      for (const job of jobs) {
        const changedAt = await lastChangeMs(job);
        // Gone meanwhile (its job finished), or still recent.
        if (changedAt === null || now - changedAt < STALE_JOB_MS) continue;
        await rm(job, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * The newest modification time of a job folder and the files in it (an upload grows its file,
 * not the folder); null when the job is gone.
 */
async function lastChangeMs(job: string): Promise<number | null> {
  const mtimeOf = (file: string) => stat(file).then((info) => info.mtimeMs, () => null);
  const folder = await mtimeOf(job);
  if (folder === null) return null;
  const files = await Promise.all((await listOrEmpty(job)).map((entry) => mtimeOf(path.join(job, entry))));
  return Math.max(folder, ...files.filter((time): time is number => time !== null));
}
