/**
 * Plays a FallbackLoop in real time, as a publisher would send it: each tag when its timestamp
 * comes due on the wall clock, measured from the start (so timer lateness never adds up).
 */
import type { FlvTag } from '../ingest/flv-tag-source.js';
import type { FallbackLoop } from './fallback-loop.js';

/**
 * Past this lag (a blocked event loop, a suspended machine) the player skips the wait instead of
 * sending the backlog in one burst: timestamps stay continuous, the wall clock is re-anchored.
 */
const MAX_CATCH_UP_MS = 1000;

export interface FallbackPlayerOptions {
  loop: FallbackLoop;
  sink: (tag: FlvTag) => void;
  /** The sink threw: the player has stopped. */
  onError: (error: unknown) => void;
  /** Monotonic clock in ms. Default performance.now. */
  now?: () => number;
}

export class FallbackPlayer {
  private readonly now: () => number;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: FallbackPlayerOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get playing(): boolean {
    return this.running;
  }

  /** Sends the headers and the first frame at once, the rest at their time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.now() - this.options.loop.nextTimeMs;
    this.pump();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    this.timer = undefined;
    const { loop, sink } = this.options;
    let elapsed = this.now() - this.startedAt;
    const lag = elapsed - loop.nextTimeMs;
    if (lag > MAX_CATCH_UP_MS) {
      this.startedAt += lag;
      elapsed -= lag;
    }
    try {
      while (this.running && loop.nextTimeMs <= elapsed) sink(loop.next());
    } catch (error) {
      this.stop();
      this.options.onError(error);
      return;
    }
    if (!this.running) return;
    this.timer = setTimeout(() => this.pump(), Math.max(1, loop.nextTimeMs - elapsed));
  }
}
