import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { writeAllChunks } from './atomic-file.js';
import { HlsWriteError } from './hls-errors.js';
import { TEMPORARY_SUFFIX } from './hls-names.js';

/**
 * A segment written as it is muxed: its bytes go to `<path>.tmp` as they come, and the file is
 * renamed to `path` once complete, so a reader still only ever opens whole segments (as with
 * writeFileAtomic, which writes a whole segment at once). The stream then holds a few chunks of
 * its segment in progress, not all of it. Synchronous, as writeFileAtomic and for the same reason.
 *
 * A failed write removes the temporary file and is kept: later appends are skipped, and finish()
 * throws it, so the caller skips the segment once, as when writeFileAtomic fails.
 */
export class GrowingFile {
  private fd: number | undefined;
  private failure: HlsWriteError | undefined;

  constructor(readonly path: string) {}

  private get temporary(): string {
    return `${this.path}${TEMPORARY_SUFFIX}`;
  }

  /** Appends `chunks`; a failure is kept for finish(). */
  append(chunks: readonly Uint8Array[]): void {
    if (this.failure) return;
    try {
      this.fd ??= openSync(this.temporary, 'w');
      writeAllChunks(this.fd, chunks);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Appends the last `chunks` and renames the file into place; throws the first failure. */
  finish(chunks: readonly Uint8Array[]): void {
    this.append(chunks);
    if (!this.failure) {
      try {
        this.closeFd();
        renameSync(this.temporary, this.path);
        return;
      } catch (error) {
        this.fail(error);
      }
    }
    throw this.failure;
  }

  /** Drops the file (the segment will not be finished). */
  discard(): void {
    this.closeFd();
    rmSync(this.temporary, { force: true });
  }

  private fail(error: unknown): void {
    this.failure = new HlsWriteError(this.path, 'write', error);
    try {
      this.discard();
    } catch {
      // Best effort, as writeFileAtomic's: the start-up sweep takes a leftover .tmp.
    }
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}
