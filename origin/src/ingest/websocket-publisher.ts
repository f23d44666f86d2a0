import { spawn, type ChildProcess } from 'node:child_process';
import type { WebSocket } from 'ws';
import { ByteRateWindow } from './byte-rate-window.js';
import { FfmpegFlvPublisher } from './ffmpeg-flv-publisher.js';
import { webmHasH264Video, webmToFlvArgs } from './webm-transcode.js';
import type { WebSocketIngestLimits } from './websocket-ingest-settings.js';

/** Close codes a browser page can tell apart (RFC 6455: 1008 policy, 1009 too big, 1011 server). */
export const WS_CLOSE = {
  tooBig: 1009,
  policy: 1008,
  serverError: 1011,
  goingAway: 1001,
} as const;


export interface WebSocketPublisherOptions {
  id: string;
  /** The stream key the page sent: secret, never logged. */
  requestedName: string;
  remoteAddress: string;
  socket: WebSocket;
  limits: WebSocketIngestLimits;
  ffmpegPath: string;
  /** Why the publisher was dropped, for the log. */
  onDropped: (reason: string) => void;
}

/**
 * One browser publisher: its WebSocket's binary messages (MediaRecorder WebM) go into its own
 * ffmpeg, whose FLV comes out as tags, like an RTMP publish. Dropped (socket closed, ffmpeg killed)
 * when it goes silent, sends too fast, or ffmpeg cannot keep up: nothing is buffered without bound.
 */
export class WebSocketPublisher extends FfmpegFlvPublisher {
  private ffmpeg: ChildProcess | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly rate: ByteRateWindow;

  constructor(private readonly options: WebSocketPublisherOptions) {
    super(options.id, options.requestedName, options.remoteAddress);
    this.rate = new ByteRateWindow(options.limits.maxBytesPerSecond);
    const { socket } = options;
    socket.on('message', (data, isBinary) => this.received(data as Buffer, isBinary));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
    this.armIdleTimer();
  }

  disconnect(): void {
    this.drop(WS_CLOSE.policy, 'publish refused');
  }

  private received(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) return this.drop(WS_CLOSE.policy, 'binary WebM messages only');
    this.armIdleTimer();
    if (!this.rate.add(data.byteLength)) {
      return this.drop(WS_CLOSE.policy, `more than ${this.options.limits.maxBytesPerSecond} bytes/s`);
    }
    const ffmpeg = this.ffmpeg ?? this.startFfmpeg(data);
    const stdin = ffmpeg.stdin!;
    stdin.write(data);
    if (stdin.writableLength > this.options.limits.maxPendingBytes) {
      this.drop(WS_CLOSE.serverError, 'the transcoder cannot keep up');
    }
  }

  /** The first message carries the WebM's tracks: it decides whether the video is copied. */
  private startFfmpeg(first: Buffer): ChildProcess {
    const ffmpeg = spawn(this.options.ffmpegPath, webmToFlvArgs({ copyVideo: webmHasH264Video(first) }), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.ffmpeg = ffmpeg;
    // EPIPE once ffmpeg is gone: its exit reports it.
    ffmpeg.stdin!.on('error', () => undefined);
    this.readFrom(ffmpeg, () => true, (message) => this.drop(WS_CLOSE.serverError, `bad transcoder output: ${message}`));
    ffmpeg.on('error', (error) => this.drop(WS_CLOSE.serverError, `transcoder failed: ${error.message}`));
    ffmpeg.on('exit', (code, signal) => {
      if (!this.closed) this.drop(WS_CLOSE.policy, `transcoder stopped (${code ?? signal}): ${this.lastStderrLine() || 'not WebM?'}`);
    });
    return ffmpeg;
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.drop(WS_CLOSE.policy, 'idle: no media'), this.options.limits.idleTimeoutMs);
  }

  /** Closes the socket with a reason the page can read (at most 123 bytes) and ends the publish. */
  drop(code: number, reason: string): void {
    if (this.closed) return;
    this.options.onDropped(reason);
    this.options.socket.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.ffmpeg?.kill('SIGKILL');
    if (this.options.socket.readyState === this.options.socket.OPEN) this.options.socket.close(WS_CLOSE.goingAway, 'publish ended');
    this.notifyClosed();
  }
}
