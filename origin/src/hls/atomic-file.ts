import { closeSync, openSync, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs';
import { HlsWriteError } from './hls-errors.js';
import { TEMPORARY_SUFFIX } from './hls-names.js';

/**
 * Writes `<path>.tmp` in the same folder, then renames it over `path`. rename(2) within one file
 * system is atomic, so a reader opens either the old file or the new one, never a partial one,
 * and a segment is complete before the playlist naming it is renamed in.
 *
 * Synchronous on purpose, as nginx-rtmp writes from its event loop: a segment (< 1 MB) and a
 * playlist go to the page cache in well under a millisecond, while the promise version costs
 * about nine thread-pool round trips per segment, each waiting for a turn of an event loop busy
 * with every other stream's media; that wait was most of the delay before a segment was listed.
 *
 * No fsync: readers go through the page cache, which already shows the finished file; surviving a
 * power cut is pointless because the start-up sweep removes what a previous run left behind.
 * The caller serialises writes to one path (one `.tmp` name per target). `data` may be a list of
 * chunks (a segment as the muxer made it), written in order without joining them.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const temporary = `${path}${TEMPORARY_SUFFIX}`;
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(temporary, data);
    else writeChunks(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    // Best effort: when the disk is full or the folder is gone, the leftover is the lesser problem.
    rmSync(temporary, { force: true });
    throw new HlsWriteError(path, 'write', error);
  }
}

/** Chunks per writev(2) call, well under IOV_MAX (1024 on Linux). */
const CHUNKS_PER_CALL = 256;

function writeChunks(path: string, chunks: readonly Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    writeAllChunks(fd, chunks);
  } finally {
    closeSync(fd);
  }
}

/** Writes `chunks` in order at the file's current position, resuming after short writes. */
export function writeAllChunks(fd: number, chunks: readonly Uint8Array[]): void {
  let pending = chunks.filter((chunk) => chunk.length > 0);
  while (pending.length > 0) {
    let written = writevSync(fd, pending.slice(0, CHUNKS_PER_CALL));
    // A short write (rare on a regular file) resumes where it stopped.
    let index = 0;
    while (index < pending.length && written >= pending[index]!.length) written -= pending[index++]!.length;
    pending = pending.slice(index);
    if (written > 0) pending[0] = pending[0]!.subarray(written);
  }
}
