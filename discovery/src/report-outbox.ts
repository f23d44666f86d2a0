import type { Logger } from '../../service-kit/src/logger.js';
import { backoffDelayMs, type BackoffSettings } from './backoff.js';
import { isRetryable } from '../../internal-api/src/internal-api-errors.js';
import type { EndedStreamReport, StreamReport, StreamReporter } from './stream-reporter.js';

export type ReportOp =
  | { kind: 'register'; report: StreamReport }
  | { kind: 'end'; report: EndedStreamReport }
  | { kind: 'withdraw'; name: string };

export interface ReportOutboxOptions {
  reporter: StreamReporter;
  backoff: BackoffSettings;
  logger: Logger;
  random?: () => number;
}

function streamOf(op: ReportOp): string {
  return op.kind === 'withdraw' ? op.name : op.report.name;
}

/**
 * Delivers reports to the API so that it converges on what the tracker wants, whatever the API
 * does meanwhile:
 * - per stream only the newest op matters: a withdraw queued behind a register replaces it, and
 *   at most one request per stream is in flight, so the API sees them in order;
 * - when a request fails the API counts as down: ops queue (one per stream, so memory is bounded)
 *   and a single probe is retried with capped, jittered exponential backoff instead of every
 *   stream hammering the API; the first success (probe or not) sends everything queued at once.
 *   That is how streams that are still live are re-reported as soon as the API is back.
 */
export class ReportOutbox {
  readonly #reporter: StreamReporter;
  readonly #backoff: BackoffSettings;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #pending = new Map<string, ReportOp>();
  readonly #inFlight = new Map<string, Promise<void>>();
  #down = false;
  #failures = 0;
  #downSince = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #probe: ReportOp | undefined;
  #closed = false;

  constructor(options: ReportOutboxOptions) {
    this.#reporter = options.reporter;
    this.#backoff = options.backoff;
    this.#logger = options.logger;
    this.#random = options.random ?? Math.random;
  }

  /** False from a failed request until the next successful one. */
  get apiReachable(): boolean {
    return !this.#down;
  }

  submit(op: ReportOp): void {
    if (this.#closed) return;
    this.#pending.set(streamOf(op), op);
    this.#pump();
  }

  /**
   * Stops retrying, lets in-flight requests finish, then withdraws `live` streams and any queued
   * withdraw with one attempt each. If the API is down these are lost, and its TTL expires them.
   */
  async shutdown(live: Iterable<string>): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await Promise.all(this.#inFlight.values());
    const names = new Set(live);
    for (const op of this.#pending.values()) if (op.kind === 'withdraw') names.add(op.name);
    this.#pending.clear();
    await Promise.all(
      [...names].map(async (name) => {
        const error = await this.#attempt({ kind: 'withdraw', name });
        if (error === undefined) this.#logger.info({ stream: name }, 'stream withdrawn at shutdown');
        else this.#logger.warn({ stream: name, err: error }, 'withdraw at shutdown failed: the API TTL will expire it');
      }),
    );
  }

  #pump(): void {
    if (this.#down || this.#closed) return;
    for (const [name, op] of this.#pending) {
      if (this.#inFlight.has(name)) continue;
      this.#pending.delete(name);
      this.#send(op);
    }
  }

  #send(op: ReportOp): void {
    const name = streamOf(op);
    const done = this.#attempt(op).then((error) => {
      this.#inFlight.delete(name);
      if (this.#probe === op) this.#probe = undefined;
      if (error === undefined || !isRetryable(error)) this.#answered(op, error);
      else this.#failed(op, error);
    });
    this.#inFlight.set(name, done);
  }

  /** Resolves to the error, or undefined on success: never rejects. */
  async #attempt(op: ReportOp): Promise<unknown> {
    try {
      if (op.kind === 'register') await this.#reporter.register(op.report);
      else if (op.kind === 'end') await this.#reporter.end(op.report);
      else await this.#reporter.withdraw(op.name);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /** A success or a rejection: either way the API answered, so queued reports can go out. */
  #answered(op: ReportOp, error: unknown): void {
    if (error === undefined) this.#logger.debug({ stream: streamOf(op), op: op.kind }, 'reported');
    else this.#logger.error({ stream: streamOf(op), op: op.kind, err: error }, 'API rejected the report: not retrying');
    if (this.#down) {
      this.#logger.info(
        { failedAttempts: this.#failures, downForMs: Date.now() - this.#downSince, queued: this.#pending.size },
        'API reachable again: sending queued reports',
      );
      this.#down = false;
      this.#failures = 0;
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#pump();
  }

  #failed(op: ReportOp, error: unknown): void {
    const name = streamOf(op);
    // A newer op for the stream supersedes the one that failed.
    if (!this.#pending.has(name)) this.#pending.set(name, op);
    if (this.#closed) return;
    if (!this.#down) {
      this.#down = true;
      this.#downSince = Date.now();
      this.#logger.warn({ stream: name, op: op.kind, err: error }, 'API unavailable: queuing reports and retrying');
    }
    if (this.#retryTimer === undefined && this.#probe === undefined) this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    const delayMs = backoffDelayMs(this.#failures, this.#backoff, this.#random);
    this.#failures += 1;
    this.#logger.debug({ delayMs, failures: this.#failures, queued: this.#pending.size }, 'retrying API');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#sendProbe();
    }, delayMs);
  }

  #sendProbe(): void {
    for (const [name, op] of this.#pending) {
      if (this.#inFlight.has(name)) continue;
      this.#pending.delete(name);
      this.#probe = op;
      this.#send(op);
      return;
    }
    // Nothing to probe with: what is in flight will settle the API's state, or the next submit.
    if (this.#inFlight.size === 0) {
      this.#down = false;
      this.#failures = 0;
    }
  }
}
