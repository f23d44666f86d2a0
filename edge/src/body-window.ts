import { Readable } from 'node:stream';

/**
 * Bytes `start` to `end` (inclusive) of `source` as they arrive, for a streamed answer to a Range
 * request (0 to Infinity: all of it). `onBytes` counts what goes out. The window follows the
 * source's failure (so the viewer's connection is cut), and its own end or destruction releases
 * the source.
 */
export function bodyWindow(source: Readable, start: number, end: number, onBytes: (bytes: number) => void): Readable {
  let offset = 0;
  let done = false;
  const out = new Readable({
    read() {
      source.resume();
    },
    destroy(error, callback) {
      source.destroy();
      callback(error);
    },
  });
  const close = (): void => {
    if (done) return;
    done = true;
    out.push(null);
  };
  source.on('data', (chunk: Buffer) => {
    if (done) return;
    const from = Math.max(0, start - offset);
    const to = Math.min(chunk.length, end + 1 - offset);
    offset += chunk.length;
    if (to > from) {
      const part = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
      onBytes(part.length);
      if (!out.push(part)) source.pause();
    }
    if (offset > end) {
      close();
      source.destroy();
    }
  });
  source.once('end', close);
  source.once('error', (error) => {
    if (!done) out.destroy(error);
  });
  return out;
}
