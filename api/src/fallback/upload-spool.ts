import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { PayloadTooLargeError, UploadStalledError, UploadTooSlowError, type LiveError } from '../errors.js';

export interface SpoolLimits {
  /** FALLBACK_MAX_BYTES */
  maxBytes: number;
  /** FALLBACK_UPLOAD_IDLE_SECONDS: longest pause between two chunks of the body. */
  idleSeconds: number;
  /** FALLBACK_UPLOAD_TIMEOUT_SECONDS: longest the whole body may take. */
  timeoutSeconds: number;
}

/**
 * Writes a request body to `file` as it arrives, never holding more than a chunk in memory, and
 * returns its size. It stops with a LiveError past `maxBytes` (413), after `idleSeconds` without
 * a byte or `timeoutSeconds` in all (408); then the partial file is removed and the rest of the
 * body is discarded unread, so the error can be answered while the client may still be sending
 * (the route closes the connection after its answer).
 */
export function spoolUpload(source: Readable, file: string, limits: SpoolLimits): Promise<number> {
  const out = createWriteStream(file, { flags: 'wx' });
  let bytes = 0;
  let failed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let totalTimer: NodeJS.Timeout | undefined;

  return new Promise<number>((resolve, reject) => {
    const detach = () => {
      clearTimeout(idleTimer);
      clearTimeout(totalTimer);
      source.off('data', onData).off('end', onEnd).off('error', fail);
    };
    function fail(error: unknown) {
      if (failed) return;
      failed = true;
      detach();
      source.resume();
      out.destroy();
      const removed = finished(out)
        .catch(() => undefined)
        .then(() => rm(file, { force: true }));
      removed.then(
        () => reject(error),
        () => reject(error),
      );
    }
    const giveUp = (error: LiveError) => () => fail(error);
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(giveUp(new UploadStalledError(limits.idleSeconds)), limits.idleSeconds * 1000);
    };
    function onData(chunk: Buffer) {
      armIdleTimer();
      bytes += chunk.length;
      if (bytes > limits.maxBytes) return fail(tooLarge(limits.maxBytes));
      // A slow disk pauses the client (TCP backpressure) rather than growing memory.
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    }
    function onEnd() {
      detach();
      out.end();
      finished(out).then(() => resolve(bytes), fail);
    }

    out.once('error', fail);
    totalTimer = setTimeout(giveUp(new UploadTooSlowError(limits.timeoutSeconds)), limits.timeoutSeconds * 1000);
    armIdleTimer();
    source.on('data', onData).once('end', onEnd).once('error', fail);
  });
}

export function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the fallback video is larger than FALLBACK_MAX_BYTES=${maxBytes} bytes`);
}
