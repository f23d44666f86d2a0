import type { Publisher } from './ffmpeg.js';

export interface ReconnectingPublisher {
  /** ffmpeg runs started so far. */
  readonly attempts: number;
  stop(): Promise<void>;
}

/** OBS retries within a second or so; a shorter pause would only add refused attempts. */
export const RECONNECT_RETRY_MS = 500;

/**
 * Starts a publisher again each time it exits, after `retryMs`, as OBS reconnects when its
 * server goes away (or refuses it while the stream's lease is still held), until stopped.
 */
export function reconnectingPublisher(start: () => Publisher, { retryMs = RECONNECT_RETRY_MS } = {}): ReconnectingPublisher {
  let current: Publisher | undefined;
  let stopped = false;
  let attempts = 0;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      attempts += 1;
      current = start();
      await current.exited;
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, retryMs);
      });
    }
  })();
  return {
    get attempts() {
      return attempts;
    },
    stop: async () => {
      stopped = true;
      wake?.();
      await current?.stop();
      await loop;
    },
  };
}
