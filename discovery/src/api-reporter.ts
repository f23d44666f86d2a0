import { Pool } from 'undici';
import { bearerOf } from '../../internal-api/src/internal-token.js';
import { ApiRejectedError, ApiUnavailableError } from './errors.js';
import type { EndedStreamReport, StreamReport, StreamReporter } from './stream-reporter.js';

export interface ApiReporterOptions {
  /** Base URL of the API, without a trailing slash; may carry a path prefix. */
  apiUrl: string;
  /** INTERNAL_TOKEN */
  internalToken: string;
  /** host:port of this origin, sent with every report. */
  originHost: string;
  /** Connect and response timeout of one request. */
  timeoutMs: number;
}

/** Enough parallel requests for a heartbeat burst of many streams; more would only queue in the API. */
const API_CONNECTIONS = 8;
/**
 * Idle keep-alive sockets outlive the heartbeat interval, so heartbeats reuse one connection.
 * The API's own `Keep-Alive: timeout=` hint still wins when it is shorter.
 */
const KEEP_ALIVE_MS = 60_000;
/** How much of a rejection's body goes into the error message. */
const BODY_EXCERPT_CHARS = 300;

/** Reports streams to the API over HTTP (undici pool with keep-alive); one attempt per call. */
export class ApiReporter implements StreamReporter {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #originHost: string;
  readonly #authorization: string;

  constructor(options: ApiReporterOptions) {
    const url = new URL(options.apiUrl);
    this.#pool = new Pool(url.origin, {
      connections: API_CONNECTIONS,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#originHost = options.originHost;
    this.#authorization = bearerOf(options.internalToken);
  }

  async register(report: StreamReport): Promise<void> {
    await this.#send('POST', '/streams', JSON.stringify({ ...report, host: this.#originHost }), []);
  }

  async end({ name, manifest, graceSeconds }: EndedStreamReport): Promise<void> {
    const body = { name, manifest, host: this.#originHost, state: 'ended', grace_seconds: graceSeconds };
    await this.#send('POST', '/streams', JSON.stringify(body), []);
  }

  async withdraw(name: string): Promise<void> {
    const query = new URLSearchParams({ host: this.#originHost });
    // 404: the API no longer holds it (TTL expired, or already withdrawn): the goal is reached.
    await this.#send('DELETE', `/streams/${encodeURIComponent(name)}?${query}`, undefined, [404]);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(method: 'POST' | 'DELETE', path: string, body: string | undefined, alsoFine: number[]): Promise<void> {
    const request = `${method} ${path.split('?')[0]}`;
    let response;
    try {
      response = await this.#pool.request({
        method,
        path: this.#basePath + path,
        body,
        headers: { authorization: this.#authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      });
    } catch (error) {
      throw new ApiUnavailableError(request, undefined, { cause: error });
    }
    const { statusCode } = response;
    // Read the body in every case, so the socket goes back to the pool.
    const text = await response.body.text().catch(() => '');
    if ((statusCode >= 200 && statusCode < 300) || alsoFine.includes(statusCode)) return;
    if (statusCode >= 500 || statusCode === 408 || statusCode === 429) {
      throw new ApiUnavailableError(request, statusCode);
    }
    throw new ApiRejectedError(request, statusCode, text.slice(0, BODY_EXCERPT_CHARS));
  }
}
