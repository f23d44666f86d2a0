/**
 * Simulated HLS viewers for end-to-end tests, polling a live stream through the edge as a player
 * does: the playlist about every second, then each segment that is new since the last poll (at
 * the start, the newest one). Each viewer is its own client (one keep-alive connection, its own
 * user-agent). Every request is recorded with the scenario's phase at the time it was sent, and
 * bounded by a client-side timeout, so a request the edge never answers shows up as such instead
 * of stalling the test.
 */
import { Pool } from 'undici';

export interface ViewerRequest {
  viewer: string;
  kind: 'playlist' | 'segment';
  path: string;
  /** The scenario's phase when the request was sent. */
  phase: string;
  /** The answer's status; undefined when there was none (connection error, client timeout). */
  status: number | undefined;
  /** `error.code` of a JSON error answer. */
  errorCode?: string;
  /** Why there was no answer. */
  failure?: string;
  /** The client-side timeout ended the request: the edge did not answer in time. */
  timedOut: boolean;
  /** The answer's `content-type`. */
  contentType?: string;
  bytes: number;
  /** How long the request took, for the test's comments (never asserted). */
  ms: number;
}

export interface ViewersOptions {
  edgeUrl: string;
  stream: string;
  /** How often a viewer asks for the playlist. */
  pollMs?: number;
  /** Longest wait for one answer, headers and body; a request past it counts as timed out. */
  requestTimeoutMs?: number;
  /** No viewer polls longer than this, even if nobody stops it. */
  maxRunMs: number;
}

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class SimulatedViewers {
  /** The phase the next requests are recorded under. */
  phase = 'before';
  readonly requests: ViewerRequest[] = [];
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;
  private readonly loops: Promise<void>[] = [];
  private readonly pools: Pool[] = [];
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wake: (() => void)[] = [];

  constructor(private readonly options: ViewersOptions) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Starts `count` viewers named `<prefix>-<n>`, spread over one poll interval as an audience arrives. */
  start(count: number, prefix = 'viewer'): void {
    for (let i = 0; i < count; i++) this.add(`${prefix}-${i + 1}`, (i * this.pollMs) / count);
  }

  /** Starts one more viewer, a client of its own. */
  add(name: string, delayMs = 0): void {
    const pool = new Pool(this.options.edgeUrl, {
      connections: 1,
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: this.requestTimeoutMs,
    });
    this.pools.push(pool);
    this.loops.push(this.watch(name, pool, delayMs));
  }

  /** The requests a viewer (or every viewer) sent in a phase. */
  sent({ viewer, phase, kind }: { viewer?: string; phase?: string; kind?: ViewerRequest['kind'] } = {}): ViewerRequest[] {
    return this.requests.filter(
      (r) => (viewer === undefined || r.viewer === viewer) && (phase === undefined || r.phase === phase) && (kind === undefined || r.kind === kind),
    );
  }

  /** Requests that did not get a 200. */
  failed(phase?: string): ViewerRequest[] {
    return this.sent({ phase }).filter((r) => r.status !== 200);
  }

  /** Stops every viewer after its request in flight, and closes their connections; idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      for (const wake of this.wake.splice(0)) wake();
      await Promise.all(this.loops);
      await Promise.all(this.pools.map((pool) => pool.close()));
    })();
    return this.stopped;
  }

  private async watch(name: string, pool: Pool, delayMs: number): Promise<void> {
    const deadline = Date.now() + this.options.maxRunMs;
    const maxPolls = Math.ceil(this.options.maxRunMs / this.pollMs) + 1;
    const base = `/${this.options.stream}/`;
    await this.pause(delayMs);
    const seen = new Set<string>();
    let first = true;
    for (let poll = 0; poll < maxPolls && !this.stopping && Date.now() < deadline; poll++) {
      const pollStarted = Date.now();
      const playlist = await this.get(pool, name, 'playlist', `${base}index.m3u8`);
      if (playlist !== undefined) {
        const uris = playlist
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '' && !line.startsWith('#'));
        const fresh = first ? uris.slice(-1) : uris.filter((uri) => !seen.has(uri));
        for (const uri of uris) seen.add(uri);
        first = false;
        for (const uri of fresh) {
          if (this.stopping) break;
          await this.get(pool, name, 'segment', `${base}${uri}`);
        }
      }
      await this.pause(pollStarted + this.pollMs - Date.now());
    }
  }

  /** One request, recorded; resolves with the body's text when it is a playlist that came with 200. */
  private async get(pool: Pool, viewer: string, kind: ViewerRequest['kind'], path: string): Promise<string | undefined> {
    const record: ViewerRequest = { viewer, kind, path, phase: this.phase, status: undefined, timedOut: false, bytes: 0, ms: 0 };
    const started = Date.now();
    try {
      const { statusCode, headers, body } = await pool.request({
        method: 'GET',
        path,
        headers: { 'user-agent': `livestack-test ${viewer}` },
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const bytes = Buffer.from(await body.arrayBuffer());
      record.status = statusCode;
      record.bytes = bytes.length;
      record.contentType = String(headers['content-type'] ?? '');
      if (statusCode !== 200) record.errorCode = errorCodeOf(bytes);
      return statusCode === 200 && kind === 'playlist' ? bytes.toString('utf8') : undefined;
    } catch (error) {
      const code = (error as { code?: unknown; name?: unknown }).code ?? (error as { name?: unknown }).name;
      record.failure = `${String(code)}: ${(error as Error).message}`;
      record.timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'TimeoutError';
      return undefined;
    } finally {
      record.ms = Date.now() - started;
      this.requests.push(record);
    }
  }

  /** Sleeps up to `ms`, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = this.wake.filter((wake) => wake !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.push(done);
    });
  }
}

function errorCodeOf(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
