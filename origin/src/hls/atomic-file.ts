import { rename, rm, writeFile } from 'node:fs/promises';
import { HlsWriteError } from './hls-errors.js';
import { TEMPORARY_SUFFIX } from './hls-names.js';

/**
 * Writes `<path>.tmp` in the same folder, then renames it over `path`. rename(2) within one file
 * system is atomic, so a reader opens either the old file or the new one, never a partial one,
 * and a segment is complete before the playlist naming it is renamed in.
 *
 * No fsync: readers go through the page cache, which already shows the finished file; surviving a
 * power cut is pointless because the start-up sweep removes what a previous run left behind.
 * The caller serialises writes to one path (one `.tmp` name per target).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}${TEMPORARY_SUFFIX}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    // Best effort: when the disk is full or the folder is gone, the leftover is the lesser problem.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new HlsWriteError(path, 'write', error);
  }
}
