import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HlsWriteError } from './hls-errors.js';
import { isOwnFileName, isStreamName } from './hls-names.js';
import { errorCode } from '../file-error-code.js';

/** Deletes one file, treating "already gone" as done. */
export async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw new HlsWriteError(path, 'delete', error);
  }
}

/**
 * Removes the files this origin writes (playlist, segments, their `.tmp`), then the folder. Never
 * recursive: a file someone else put there makes rmdir fail, and the folder is kept and reported.
 * A folder that is already gone counts as removed.
 */
export async function removeStreamFolder(folder: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw new HlsWriteError(folder, 'list', error);
  }
  await Promise.all(
    entries
      .filter((entry) => entry.isFile() && isOwnFileName(entry.name))
      .map((entry) => unlinkIfPresent(join(folder, entry.name))),
  );
  try {
    await rmdir(folder);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw new HlsWriteError(folder, 'remove folder', error);
  }
}

export interface SweepResult {
  /** Stream folders removed. */
  removed: string[];
  /** Subfolders left alone because they hold something this origin does not write. */
  kept: string[];
}

/**
 * Start-up sweep: removes stream folders a previous run of this origin left in `hlsPath`, so edges
 * never get a stale playlist for a stream that is not live. Call it once, before the first
 * stream starts; HLS_PATH must belong to this origin process alone.
 *
 * Only a plain subfolder named like a stream whose entries are all plain files named like ours
 * (`index.m3u8`, `<n>.ts`, spilled LL-HLS segments `<msn>.m4s`, any with `.tmp`; see isOwnFileName) is removed. Symbolic links, other files, nested
 * folders and empty folders are never touched. A missing `hlsPath` is an empty sweep.
 */
export async function sweepStaleStreamFolders(hlsPath: string): Promise<SweepResult> {
  const result: SweepResult = { removed: [], kept: [] };
  let entries;
  try {
    entries = await readdir(hlsPath, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return result;
    throw new HlsWriteError(hlsPath, 'list', error);
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !isStreamName(entry.name)) continue;
    const folder = join(hlsPath, entry.name);
    const files = await readdir(folder, { withFileTypes: true }).catch((error: unknown) => {
      throw new HlsWriteError(folder, 'list', error);
    });
    const ours = files.length > 0 && files.every((file) => file.isFile() && isOwnFileName(file.name));
    if (!ours) {
      result.kept.push(folder);
      continue;
    }
    await removeStreamFolder(folder);
    result.removed.push(folder);
  }
  return result;
}
