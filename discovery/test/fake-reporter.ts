import { InternalApiRefusedError, InternalApiUnavailableError } from '../../internal-api/src/internal-api-errors.js';
import type { EndedStreamReport, StreamReport, StreamReporter } from '../src/stream-reporter.js';

export interface ReporterCall {
  op: 'register' | 'end' | 'withdraw';
  name: string;
  manifest?: string;
  graceSeconds?: number;
  /** Date.now() when the call was made. */
  at: number;
  ok: boolean;
}

/** An in-process StreamReporter that records every attempt and fails on demand. */
export class FakeReporter implements StreamReporter {
  readonly calls: ReporterCall[] = [];
  /** While true every call fails as if the API were unreachable. */
  down = false;
  /** Streams whose reports the API rejects (400). */
  readonly rejected = new Set<string>();
  /** Delay before a call settles, to exercise requests in flight. */
  latencyMs = 0;

  async register(report: StreamReport): Promise<void> {
    await this.#call({ op: 'register', name: report.name, manifest: report.manifest });
  }

  async end(report: EndedStreamReport): Promise<void> {
    await this.#call({ op: 'end', name: report.name, manifest: report.manifest, graceSeconds: report.graceSeconds });
  }

  async withdraw(name: string): Promise<void> {
    await this.#call({ op: 'withdraw', name });
  }

  /** Successful calls, optionally of one stream and op. */
  delivered(name?: string, op?: ReporterCall['op']): ReporterCall[] {
    return this.calls.filter((call) => call.ok && (name === undefined || call.name === name) && (op === undefined || call.op === op));
  }

  async #call(call: Omit<ReporterCall, 'at' | 'ok'>): Promise<void> {
    const recorded: ReporterCall = { ...call, at: Date.now(), ok: false };
    this.calls.push(recorded);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const request = `${call.op} ${call.name}`;
    if (this.down) throw new InternalApiUnavailableError(request, 'the API answered 503', 503);
    if (this.rejected.has(call.name)) throw new InternalApiRefusedError(request, 400, 'LIVE_ERR_VALIDATION', 'bad name');
    recorded.ok = true;
  }
}
