import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import { ORIGIN_SECRET_HEADER } from '../../service-kit/src/origin-secret.js';
import { ClientClosedError, OriginTimeoutError, OriginUnreachableError } from './errors.js';

/** One request for a playlist or segment, as the edge sends it to an origin. */
export interface OriginRequest {
  /** The stream the file belongs to; named in errors. */
  stream: string;
  /** `host:port` of the origin that holds the stream. */
  origin: string;
  method: 'GET' | 'HEAD';
  /** Path sent to the origin, rebuilt from validated parts (never the viewer's query string). */
  path: string;
  headers: Record<string, string>;
  /** The wait for the response headers when it is not UPSTREAM_TIMEOUT_MS: a request the origin holds. */
  headersTimeoutMs?: number;
  /** Aborted when nobody wants the answer any more (every viewer left): the origin request is cancelled. */
  signal: AbortSignal;
}

export interface OriginResponse {
  /** The origin that answered (a fetcher that fails over may have asked another than requested). */
  origin: string;
  statusCode: number;
  headers: IncomingHttpHeaders;
  /**
   * The body as it arrives. It fails with an error when the origin breaks off or the request is
   * aborted; consumers see that through their own listeners (fastify's send, `pipeline`).
   */
  body: Readable;
}

/** Where the edge gets playlists and segments: the origin client, or a failover around it. */
export interface OriginFetcher {
  /** Resolves with the origin's answer (any status); throws a LiveError when there is none. */
  fetch(request: OriginRequest): Promise<OriginResponse>;
}

export interface OriginClientOptions {
  /** UPSTREAM_TIMEOUT_MS */
  timeoutMs: number;
  /** UPSTREAM_CONNECT_TIMEOUT_MS */
  connectTimeoutMs: number;
  /** UPSTREAM_CONNECTIONS */
  connections: number;
  /** UPSTREAM_KEEPALIVE_MS */
  keepAliveMs: number;
  /** ORIGIN_SECRET: added to every request (origins serve only requests carrying it). */
  originSecret?: string;
}

/** undici's code for a connection the other side closed, e.g. an idle keep-alive one just as it was reused. */
const SOCKET_CLOSED = 'UND_ERR_SOCKET';
const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';

/** Fetches from origins over keep-alive connections (one undici pool per origin). */
export class OriginClient implements OriginFetcher {
  private readonly agent: Agent;

  constructor(private readonly options: OriginClientOptions) {
    this.agent = new Agent({
      connections: options.connections,
      keepAliveTimeout: options.keepAliveMs,
      keepAliveMaxTimeout: options.keepAliveMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.connectTimeoutMs },
    });
  }

  async fetch(request: OriginRequest): Promise<OriginResponse> {
    try {
      return await this.send(request);
    } catch (error) {
      // One retry covers a keep-alive connection the origin closed just as it was reused.
      if (codeOf(error) !== SOCKET_CLOSED || request.signal.aborted) throw this.failure(request, error);
    }
    try {
      return await this.send(request);
    } catch (error) {
      throw this.failure(request, error);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async send(request: OriginRequest): Promise<OriginResponse> {
    const { statusCode, headers, body } = await this.agent.request({
      origin: `http://${request.origin}`,
      method: request.method,
      path: request.path,
      headers: this.options.originSecret === undefined ? request.headers : { ...request.headers, [ORIGIN_SECRET_HEADER]: this.options.originSecret },
      signal: request.signal,
      headersTimeout: request.headersTimeoutMs,
    });
    // undici destroys the body with an error when the request is aborted or the origin breaks
    // off, and a consumer may not be attached yet (or any more): a viewer that leaves between the
    // headers and the reply. Without a listener that error would crash the process.
    body.on('error', ignoreBodyError);
    return { origin: request.origin, statusCode, headers, body };
  }

  private failure(request: OriginRequest, error: unknown): Error {
    if (request.signal.aborted) return new ClientClosedError(request.stream, { cause: error });
    if (codeOf(error) === HEADERS_TIMEOUT) {
      return new OriginTimeoutError(request.stream, request.origin, request.headersTimeoutMs ?? this.options.timeoutMs, { cause: error });
    }
    return new OriginUnreachableError(request.stream, request.origin, { cause: error });
  }
}

function ignoreBodyError(): void {
  // The consumer's own listeners report it; see OriginClient.send.
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
