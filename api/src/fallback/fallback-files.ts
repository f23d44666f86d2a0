import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * The converted fallback videos, `FALLBACK_PATH/<stream id>.flv`. A new video replaces the old
 * one by rename, so a reader (an origin downloading it) gets either the old file or the new one,
 * never half of one.
 */
export class FallbackFiles {
  constructor(readonly dir: string) {}

  pathOf(streamId: string): string {
    return path.join(this.dir, `${streamId}.flv`);
  }

  /** Moves a finished conversion into place, atomically. */
  async install(output: string, streamId: string): Promise<void> {
    await rename(output, this.pathOf(streamId));
  }

  async remove(streamId: string): Promise<void> {
    await rm(this.pathOf(streamId), { force: true });
  }

  /**
   * The stream's file and its size; null when it is not on this disk. Opened before its size is
   * read, so both belong to the same file even if a new one is renamed into place meanwhile.
   */
  async open(streamId: string): Promise<{ stream: Readable; sizeBytes: number } | null> {
    let handle;
    try {
      handle = await open(this.pathOf(streamId), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), sizeBytes: size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}
