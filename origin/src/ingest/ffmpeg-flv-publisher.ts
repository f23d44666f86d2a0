import type { ChildProcess } from 'node:child_process';
import { FlvStreamReader } from '../abr/flv-stream-reader.js';
import type { FlvTag } from './flv-tag-source.js';
import { IncomingPublishBase } from './incoming-publish-base.js';

const STDERR_TAIL_BYTES = 2048;

/**
 * What every publisher fed by an ffmpeg has in common (a browser's WebM transcoded, a pulled
 * source): ffmpeg's FLV on stdout read one tag at a time (FlvStreamReader holds at most one tag)
 * into the publish's sink, and the tail of its stderr kept to say why it stopped.
 */
export abstract class FfmpegFlvPublisher extends IncomingPublishBase {
  private readonly reader = new FlvStreamReader();
  private stderrTail = '';

  /**
   * Reads `ffmpeg`'s stdout into the sink; `accept` sees each chunk first (false drops it: the
   * publisher is ending). Output that is not FLV ends the publish through `badOutput`.
   */
  protected readFrom(ffmpeg: ChildProcess, accept: (chunk: Buffer) => boolean, badOutput: (message: string) => void): void {
    ffmpeg.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    ffmpeg.stdout!.on('data', (chunk: Buffer) => {
      if (this.closed || !accept(chunk)) return;
      let tags: FlvTag[];
      try {
        tags = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (error) {
        return badOutput(error instanceof Error ? error.message : String(error));
      }
      for (const tag of tags) this.sink(tag);
    });
  }

  /** ffmpeg's last words: the last line it wrote to stderr, '' if none. */
  protected lastStderrLine(): string {
    const lines = this.stderrTail.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    return lines.at(-1) ?? '';
  }
}
