import { spawn, type ChildProcess } from 'node:child_process';
import { redactUrlSecrets } from '../../../service-kit/src/url-secrets.js';
import { PULL_ERROR_MAX_LENGTH } from '../../../internal-api/src/pull-contract.js';
import { ByteRateWindow } from '../ingest/byte-rate-window.js';
import { FfmpegFlvPublisher } from '../ingest/ffmpeg-flv-publisher.js';
import { pullFfmpegArgs, pullFfmpegEnv } from './pull-ffmpeg-args.js';
import type { PullSettings } from './pull-settings.js';

export interface PullPublishOptions {
  id: string;
  /** The stream's RTMP publish key: secret, never logged. */
  streamKey: string;
  /** The source, with its secrets, as ffmpeg opens it (pinnedSourceUrl): for ffmpeg only. */
  url: string;
  /** The attempt's PullEgressProxy, ffmpeg's only way to HTTP(S) and RTMPS hosts. */
  proxyUrl: string;
  /** The source's host, as the publish's address in logs. */
  host: string;
  ffmpegPath: string;
  limits: Pick<PullSettings, 'idleTimeoutMs' | 'maxBytesPerSecond'>;
  /** The first media came out of ffmpeg. */
  onMedia: () => void;
  /** The run is over, and why (the URL's secrets masked). Called once. */
  onEnded: (reason: string) => void;
}

/**
 * One attempt at a pull source: an ffmpeg reading the source, whose FLV on stdout comes out as
 * tags, like an RTMP publish with the stream's key. Bounded as a WebSocket publisher is: FLV is
 * read one tag at a time, a source that gives nothing for PULL_IDLE_TIMEOUT_MS or floods past
 * PULL_MAX_BYTES_PER_SECOND is stopped, and ffmpeg is killed with the publish.
 */
export class PullPublish extends FfmpegFlvPublisher {
  private readonly ffmpeg: ChildProcess;
  private readonly rate: ByteRateWindow;
  private sawMedia = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PullPublishOptions) {
    super(options.id, options.streamKey, `pull:${options.host}`);
    this.rate = new ByteRateWindow(options.limits.maxBytesPerSecond);
    this.ffmpeg = spawn(options.ffmpegPath, pullFfmpegArgs(options.url), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: pullFfmpegEnv(process.env, options.proxyUrl),
    });
    this.readFrom(this.ffmpeg, (chunk) => this.accept(chunk), (message) => this.end(`bad ffmpeg output: ${message}`));
    this.ffmpeg.on('error', (error) => this.end(`ffmpeg failed: ${error.message}`));
    this.ffmpeg.on('exit', (code, signal) => {
      const why = this.lastStderrLine() || (code === 0 ? 'the source ended' : 'no output');
      this.end(`ffmpeg stopped (${code ?? signal}): ${why}`);
    });
    this.armIdleTimer();
  }

  /** The gate refused the publish (a wrong key, another publisher on the stream). */
  disconnect(): void {
    this.end('publish refused: the stream has another publisher, or its key changed');
  }

  /** Stops the run: the pull is no longer this origin's. */
  stop(): void {
    this.end('stopped');
  }

  private accept(chunk: Buffer): boolean {
    this.armIdleTimer();
    if (!this.rate.add(chunk.byteLength)) {
      this.end(`the source sends more than ${this.options.limits.maxBytesPerSecond} bytes/s`);
      return false;
    }
    if (!this.sawMedia) {
      this.sawMedia = true;
      this.options.onMedia();
    }
    return true;
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.end(`no media for ${this.options.limits.idleTimeoutMs} ms`), this.options.limits.idleTimeoutMs);
  }

  private end(reason: string): void {
    if (this.closed) return;
    clearTimeout(this.idleTimer);
    if (this.ffmpeg.exitCode === null && this.ffmpeg.signalCode === null) this.ffmpeg.kill('SIGKILL');
    this.closed = true;
    this.options.onEnded(redactUrlSecrets(reason, this.options.url).slice(0, PULL_ERROR_MAX_LENGTH));
    this.notifyClosed();
  }
}
