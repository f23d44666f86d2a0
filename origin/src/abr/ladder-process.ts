/**
 * One ffmpeg process transcoding a stream's ladder (see ffmpeg-ladder-args.ts): FLV bytes in on
 * its stdin, each rendition's FLV tags out. Bounded: when ffmpeg does not drain its stdin and the
 * bytes waiting for it pass `maxBacklogBytes`, it is killed and reported as behind, never
 * buffered without bound. I/O only; the caller decides what a stop means.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { FlvTag } from '../media/flv-tag.js';
import type { Rendition } from './abr-ladder.js';
import { ffmpegLadderArgs, FIRST_OUTPUT_FD, type LadderEncoding } from './ffmpeg-ladder-args.js';
import { FlvStreamReader } from './flv-stream-reader.js';

/** The last of ffmpeg's stderr kept for the log when it stops. */
const STDERR_TAIL_BYTES = 2048;

export type LadderStop =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string }
  | { kind: 'behind'; backlogBytes: number }
  /** The renditions trail the source's media time by more than allowed. */
  | { kind: 'lagging'; lagMs: number }
  | { kind: 'bad-output'; reason: string }
  | { kind: 'stopped' };

export interface LadderProcessOptions {
  ffmpegPath: string;
  renditions: readonly Rendition[];
  encoding: LadderEncoding;
  maxBacklogBytes: number;
  /** Tags of rendition `index` (in `renditions`' order), as ffmpeg writes them. */
  onTags: (index: number, tags: readonly FlvTag[]) => void;
  /** Called once, after the process is gone or being killed. */
  onStop: (stop: LadderStop) => void;
}

export class LadderProcess {
  private readonly child: ChildProcess;
  private stop: LadderStop | undefined;
  private stderrTail = '';

  constructor(private readonly options: LadderProcessOptions) {
    const outputs = options.renditions.map(() => 'pipe' as const);
    this.child = spawn(options.ffmpegPath, ffmpegLadderArgs(options.renditions, options.encoding), {
      stdio: ['pipe', 'ignore', 'pipe', ...outputs],
    });
    this.child.on('error', (error) => this.finish({ kind: 'exited', code: null, signal: null, stderr: error.message }));
    this.child.on('exit', (code, signal) => this.finish({ kind: 'exited', code, signal, stderr: this.stderrTail }));
    // EPIPE when ffmpeg is gone: the exit reports it.
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    options.renditions.forEach((_rendition, index) => {
      const output = this.child.stdio[FIRST_OUTPUT_FD + index] as Readable;
      const reader = new FlvStreamReader();
      output.on('error', () => undefined);
      output.on('data', (chunk: Buffer) => {
        if (this.stop) return;
        let tags: FlvTag[];
        try {
          tags = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (error) {
          this.kill({ kind: 'bad-output', reason: error instanceof Error ? error.message : String(error) });
          return;
        }
        if (tags.length > 0) options.onTags(index, tags);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Bytes handed to ffmpeg that it has not read yet. */
  get backlogBytes(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  /** Queues FLV bytes for ffmpeg's stdin; past the backlog bound the process is killed as behind. */
  write(bytes: Uint8Array): void {
    if (this.stop) return;
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) return;
    if (stdin.writableLength + bytes.byteLength > this.options.maxBacklogBytes) {
      this.kill({ kind: 'behind', backlogBytes: stdin.writableLength });
      return;
    }
    stdin.write(bytes);
  }

  /** The source ended: ffmpeg finishes what it has and exits. */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Stops at once (SIGKILL: ffmpeg holds nothing worth finishing); onStop is told `reason`. */
  kill(reason: LadderStop = { kind: 'stopped' }): void {
    this.finish(reason);
    this.child.kill('SIGKILL');
  }

  private finish(stop: LadderStop): void {
    if (this.stop) return;
    this.stop = stop;
    this.options.onStop(stop);
  }
}
