/**
 * Who owns a folder of uploads in progress. FALLBACK_PATH may be shared by several API
 * instances, so each process works in its own folder named after its host, pid and start time;
 * at start an instance removes what a process that no longer runs left behind, and nothing
 * another live instance is working on.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Unix ms, rounded: tells this process from an earlier one that had the same pid (a restarted container). */
  startedAtMs: number;
}

export function ownerFolderName(owner: ProcessIdentity): string {
  return `${owner.host}.${owner.pid}.${owner.startedAtMs}`;
}

/** Null for a name that is not an owner folder (e.g. a job folder of an older layout). */
export function parseOwnerFolderName(name: string): ProcessIdentity | null {
  const match = /^(.+)\.(\d+)\.(\d+)$/.exec(name);
  if (!match) return null;
  return { host: match[1]!, pid: Number(match[2]), startedAtMs: Number(match[3]) };
}

/**
 * `dead`: its process is gone, everything in it is a leftover. `alive`: this process or another
 * running one on this host. `unknown`: another host's (or an unrecognised folder), whose
 * process this host cannot see: only its stale jobs may go.
 */
export type OwnerState = 'dead' | 'alive' | 'unknown';

export function ownerState(owner: ProcessIdentity | null, self: ProcessIdentity, isRunning: (pid: number) => boolean): OwnerState {
  if (owner === null || owner.host !== self.host) return 'unknown';
  if (owner.pid === self.pid) return owner.startedAtMs === self.startedAtMs ? 'alive' : 'dead';
  return isRunning(owner.pid) ? 'alive' : 'dead';
}
