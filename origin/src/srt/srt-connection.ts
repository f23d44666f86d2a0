import type { SessionEnd, SessionStats } from './srt-receiver-session.js';

/** Why an accepted SRT connection ended. */
export type SrtConnectionEnd = SessionEnd | 'closed' | 'listener_closed';

/**
 * An accepted SRT caller as its consumer sees it: its payload bytes in order (the MPEG-TS stream),
 * then one close. The listener drives it; the consumer may close it.
 */
export class SrtConnection {
  private payloadListener: (payload: Uint8Array) => void = () => undefined;
  private readonly closeListeners: ((reason: SrtConnectionEnd) => void)[] = [];
  private endReason: SrtConnectionEnd | undefined;

  constructor(
    /** Our socket id for this caller. */
    readonly socketId: number,
    /** What the caller sent as stream id: may hold a secret, never log it. */
    readonly streamId: string,
    readonly remoteAddress: string,
    readonly remotePort: number,
    /** The TSBPD latency negotiated with the caller. */
    readonly latencyMs: number,
    private readonly stop: (connection: SrtConnection) => void,
    private readonly readStats: () => SessionStats,
  ) {}

  get stats(): SessionStats {
    return this.readStats();
  }

  get closed(): boolean {
    return this.endReason !== undefined;
  }

  /** Payloads from now on go to `listener` (only valid during the call: copy what you keep). */
  onPayload(listener: (payload: Uint8Array) => void): void {
    this.payloadListener = listener;
  }

  onClose(listener: (reason: SrtConnectionEnd) => void): void {
    if (this.endReason) listener(this.endReason);
    else this.closeListeners.push(listener);
  }

  /** Ends the connection (the caller is sent a shutdown). */
  close(): void {
    if (!this.endReason) this.stop(this);
  }

  /** @internal the listener's side */
  deliver(payload: Uint8Array): void {
    if (!this.endReason) this.payloadListener(payload);
  }

  /** @internal the listener's side */
  ended(reason: SrtConnectionEnd): void {
    if (this.endReason) return;
    this.endReason = reason;
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}
