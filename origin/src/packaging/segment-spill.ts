import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMPORARY_SUFFIX } from '../hls/hls-names.js';
import { unlinkIfPresent } from '../hls/stream-folder.js';

/**
 * Where LowLatencyStream puts the finished segments it no longer needs in memory (see its class
 * comment), and takes them away again. The stream decides what and when; this only does the I/O.
 */
export interface SegmentSpill {
  /** Writes `buffers` back to back as `name`; resolves once the whole file is there under that name. */
  write(name: string, buffers: readonly Uint8Array[]): Promise<void>;
  /** Where a written `name` is, for the HTTP route to stream. */
  path(name: string): string;
  /** Deletes `name`; a file already gone counts as deleted. */
  remove(name: string): Promise<void>;
}

/**
 * A stream's spilled segments as files in its HLS folder (`HLS_PATH/<stream>/`), beside the
 * MPEG-TS segments and under the names they are served as (`<msn>.m4s`, `v-<period>-<n>.m4s`):
 * the names hls-names.ts counts as the origin's own, so the start-up sweep and the folder's
 * removal after the stream ends take them too. Written aside (`.tmp`, also the origin's own)
 * with one gathered write, then renamed: the stream serves the file only once the write
 * resolved, and a crash leaves at most a `.tmp` the sweep removes.
 */
export class SpillFolder implements SegmentSpill {
  constructor(private readonly folder: string) {}

  path(name: string): string {
    return join(this.folder, name);
  }

  async write(name: string, buffers: readonly Uint8Array[]): Promise<void> {
    const temporary = this.path(name) + TEMPORARY_SUFFIX;
    // The MPEG-TS writer made the folder when the stream started; this only matters if it could not.
    await mkdir(this.folder, { recursive: true });
    try {
      const handle = await open(temporary, 'w');
      try {
        // One call for the whole segment; a short write (the disk filled up) is a failure, not a retry.
        const { bytesWritten } = await handle.writev(buffers as Uint8Array[]);
        const length = buffers.reduce((sum, data) => sum + data.byteLength, 0);
        if (bytesWritten !== length) throw new Error(`wrote ${bytesWritten} of ${length} bytes of ${temporary}`);
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path(name));
    } catch (error) {
      await unlinkIfPresent(temporary).catch(() => undefined);
      throw error;
    }
  }

  remove(name: string): Promise<void> {
    return unlinkIfPresent(this.path(name));
  }
}
