import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { PayloadTooLargeError, UploadStalledError } from '../errors.js';

/** Where uploads and conversions in progress live: inside FALLBACK_PATH, so the result is renamed into place, never copied. */
const WORK_DIR = '.incoming';

/**
 * An upload that sends nothing for this long is given up, so a client that stalls cannot hold a
 * conversion slot (FALLBACK_MAX_CONVERSIONS) for ever.
 */
export const UPLOAD_IDLE_TIMEOUT_MS = 30_000;

export interface FallbackWorkspace {
  upload: string;
  output: string;
  /** Removes the workspace and whatever is left in it. */
  dispose(): Promise<void>;
}

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

  async workspace(): Promise<FallbackWorkspace> {
    const root = path.join(this.dir, WORK_DIR);
    await mkdir(root, { recursive: true });
    const dir = await mkdtemp(path.join(root, 'job-'));
    return {
      upload: path.join(dir, 'upload'),
      output: path.join(dir, 'fallback.flv'),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }

  /** Moves a finished conversion into place, atomically. */
  async install(output: string, streamId: string): Promise<number> {
    await rename(output, this.pathOf(streamId));
    return (await stat(this.pathOf(streamId))).size;
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

/**
 * Writes a request body to `file` as it arrives, never holding more than a chunk in memory.
 * Past `maxBytes` it stops with PayloadTooLargeError and discards the rest of the body (the
 * answer goes out while the client may still be sending).
 */
export async function saveUpload(
  source: Readable,
  file: string,
  maxBytes: number,
  idleTimeoutMs = UPLOAD_IDLE_TIMEOUT_MS,
): Promise<number> {
  const out = createWriteStream(file, { flags: 'wx' });
  let bytes = 0;
  let idle: NodeJS.Timeout | undefined;
  // A stalled client gets no answer: its connection is closed.
  const armIdleTimer = () => {
    clearTimeout(idle);
    idle = setTimeout(() => source.destroy(new UploadStalledError(idleTimeoutMs)), idleTimeoutMs);
  };
  try {
    armIdleTimer();
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      armIdleTimer();
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge(maxBytes);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
    return bytes;
  } catch (error) {
    out.destroy();
    source.resume();
    throw error;
  } finally {
    clearTimeout(idle);
  }
}


export function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the fallback video is larger than FALLBACK_MAX_BYTES=${maxBytes} bytes`);
}
