import type { Readable } from 'node:stream';
import type { TSchema, Static } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { Pool, type Dispatcher } from 'undici';
import { ErrorAnswer, STREAM_NOT_FOUND_CODE, STREAM_NOT_LIVE_CODE, VIDEO_NOT_FOUND_CODE } from './error-answer.js';
import { HeartbeatAnswer, type Heartbeat } from './ingest-contract.js';
import { InternalApiBadAnswerError, InternalApiRefusedError, InternalApiUnavailableError, type InternalApiError } from './internal-api-errors.js';
import { bearerOf } from './internal-token.js';
import { INTERNAL_PATHS, fillPath } from './paths.js';
import { PublishAllowed, type PublishRequest } from './publish-contract.js';
import { PullClaimAnswer, type PullClaim } from './pull-contract.js';
import { FALLBACK_VERSION_HEADER, RestreamConfig, type StatusReport } from './restream-contract.js';
import { StreamRegistered, StreamRoute, type NoRoute, type StreamReport } from './route-contract.js';
import { VideoLocation, VideoReportAnswer, type VideoReport } from './video-contract.js';
import { LiveViewers, type SightingBatch } from './viewer-contract.js';

export interface InternalApiClientOptions {
  /** API_URL: the internal listener's base URL; may carry a path prefix. */
  apiUrl: string;
  /** INTERNAL_TOKEN, sent as `Authorization: Bearer` with every request. */
  token: string;
  /** Deadline of one request: connecting, the answer's headers and its whole body. */
  timeoutMs: number;
  /** Keep-alive connections for the live path (publishes, heartbeats, routes, restream). */
  connections: number;
}

/** Viewer sightings and counts go on their own connections: one batch a second and a few counts need no more. */
const VIEWER_CONNECTIONS = 4;
/**
 * Idle connections outlive every heartbeat interval, so heartbeats reuse one connection; the
 * API's own `Keep-Alive: timeout=` hint still wins when it is shorter.
 */
const KEEP_ALIVE_MS = 60_000;
/** undici's own deadlines (the pool's, equal to the request's): the same outcome as the request's deadline. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** The route lookup's 404 answers, by error code. */
const NO_ROUTE_CODES = new Map<string, NoRoute>([
  [STREAM_NOT_LIVE_CODE, 'not-live'],
  [STREAM_NOT_FOUND_CODE, 'no-such-stream'],
]);
/** The largest JSON answer read; a heartbeat answer for thousands of publishes is far below it. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A stream's fallback video as the API streams it. */
export interface FallbackDownload {
  /** The version served (the API's current one, perhaps newer than asked for); undefined if not named. */
  version: number | undefined;
  /** Content-Length, when announced. */
  sizeBytes: number | undefined;
  /** The FLV; it errors when the download's deadline passes. */
  body: Readable;
}

/** A compiled check of one answer shape. */
type AnswerCheck<S extends TSchema> = Validator<{}, S>;

/** One validator per answer shape, compiled once. */
const answers = {
  publishAllowed: Compile(PublishAllowed),
  heartbeat: Compile(HeartbeatAnswer),
  registered: Compile(StreamRegistered),
  route: Compile(StreamRoute),
  liveViewers: Compile(LiveViewers),
  restream: Compile(RestreamConfig),
  videoReport: Compile(VideoReportAnswer),
  videoLocation: Compile(VideoLocation),
  pullClaim: Compile(PullClaimAnswer),
  error: Compile(ErrorAnswer),
};

interface Exchange {
  /** The route, for errors and logs: `PUT /ingests/:origin_id`. Never a filled path. */
  route: string;
  method: Dispatcher.HttpMethod;
  /** Filled path and query, below API_URL. */
  path: string;
  body?: unknown;
  /** Viewer requests never wait behind the live path, nor the live path behind them. */
  viewers?: boolean;
}

/**
 * The one client of the API's internal listener, used by origins, discovery and edges. Every
 * request carries INTERNAL_TOKEN, has one deadline, fails with one of the errors in
 * internal-api-errors.ts, and every answer is checked against the contract before it is returned.
 */
export class InternalApiClient {
  /** The live path: on a viewer's or a publisher's way, so nothing else takes its connections. */
  private readonly pool: Pool;
  private readonly viewerPool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private closing: Promise<void> | undefined;

  constructor(options: InternalApiClientOptions) {
    const url = new URL(options.apiUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.authorization = bearerOf(options.token);
    this.timeoutMs = options.timeoutMs;
    const poolOptions = {
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
    };
    this.pool = new Pool(url.origin, { ...poolOptions, connections: options.connections });
    this.viewerPool = new Pool(url.origin, { ...poolOptions, connections: VIEWER_CONNECTIONS });
  }

  /** May this stream key or open name publish? Refused (403, 409) with InternalApiRefusedError. */
  async authorize(request: PublishRequest): Promise<PublishAllowed> {
    const query = new URLSearchParams(Object.entries(request).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const exchange = { route: 'GET /authorize', method: 'GET' as const, path: `${INTERNAL_PATHS.authorize}?${query}` };
    return this.expect(exchange, 200, answers.publishAllowed);
  }

  /** An origin's heartbeat; the answer names publishers to cut and the restream versions. */
  async heartbeat(originId: string, beat: Heartbeat): Promise<HeartbeatAnswer> {
    const path = fillPath(INTERNAL_PATHS.ingest, { origin_id: originId });
    return this.expect({ route: 'PUT /ingests/:origin_id', method: 'PUT', path, body: beat }, 200, answers.heartbeat);
  }

  /** A publisher left this origin: its lease waits for the next publisher, here or on another origin. */
  async publisherLeft(originId: string, sessionId: string, stream: string): Promise<void> {
    const path = `${fillPath(INTERNAL_PATHS.ingestPublish, { origin_id: originId, session_id: sessionId })}?${new URLSearchParams({ stream })}`;
    await this.expectNoContent({ route: 'DELETE /ingests/:origin_id/publishes/:session_id', method: 'DELETE', path });
  }

  /** The origin is leaving: it is unlisted and the leases of its publishers are released. */
  async leave(originId: string): Promise<void> {
    const path = fillPath(INTERNAL_PATHS.ingest, { origin_id: originId });
    await this.expectNoContent({ route: 'DELETE /ingests/:origin_id', method: 'DELETE', path });
  }

  /** Discovery's report of a live stream, or of its end. */
  async reportStream(report: StreamReport): Promise<StreamRegistered> {
    return this.expect({ route: 'POST /streams', method: 'POST', path: INTERNAL_PATHS.streams, body: report }, 200, answers.registered);
  }

  /** Withdraws one origin's registration of a stream (`host`), or all of them. */
  async withdrawStream(name: string, host?: string): Promise<void> {
    const query = host === undefined ? '' : `?${new URLSearchParams({ host })}`;
    const path = `${fillPath(INTERNAL_PATHS.stream, { name })}${query}`;
    await this.expectNoContent({ route: 'DELETE /streams/:name', method: 'DELETE', path });
  }

  /**
   * Where to play a stream, or why there is no route (NoRoute). Only the API's own 404 answers
   * count as such: a 404 of another shape (a wrong API_URL prefix, a proxy) must not make every
   * stream look offline.
   */
  async lookupRoute(name: string): Promise<StreamRoute | NoRoute> {
    const exchange = { route: 'GET /streams/:name', method: 'GET' as const, path: fillPath(INTERNAL_PATHS.stream, { name }) };
    const { status, text } = await this.send(exchange);
    if (status === 200) return this.parse(exchange.route, text, answers.route);
    const failure = this.failure(exchange.route, status, text);
    const noRoute = failure instanceof InternalApiRefusedError && status === 404 ? NO_ROUTE_CODES.get(failure.errorCode ?? '') : undefined;
    if (noRoute) return noRoute;
    throw failure;
  }

  /** An edge's viewer sightings since its last batch (on the viewer connections). */
  async reportViews(streams: SightingBatch['streams']): Promise<void> {
    await this.expectNoContent({ route: 'POST /views', method: 'POST', path: INTERNAL_PATHS.views, body: { streams }, viewers: true });
  }

  /** A stream's live viewers across every edge (on the viewer connections). */
  async liveViewers(name: string): Promise<number> {
    const path = fillPath(INTERNAL_PATHS.streamViews, { name });
    const answer = await this.expect({ route: 'GET /streams/:name/views', method: 'GET', path, viewers: true }, 200, answers.liveViewers);
    return answer.liveViewers;
  }

  /** A stream's restream targets (with their real keys) and fallback video. */
  async restreamConfig(stream: string): Promise<RestreamConfig> {
    const path = fillPath(INTERNAL_PATHS.restream, { id: stream });
    return this.expect({ route: 'GET /internal/streams/:id/restream', method: 'GET', path }, 200, answers.restream);
  }

  /** How each push of a stream is doing. */
  async reportRestreamStatus(stream: string, report: StatusReport): Promise<void> {
    const path = fillPath(INTERNAL_PATHS.restreamStatus, { id: stream });
    await this.expectNoContent({ route: 'PUT /internal/streams/:id/restream-status', method: 'PUT', path, body: report });
  }

  /**
   * A stream's fallback video. Connecting and the headers have the client's deadline; the whole
   * download has `deadlineMs` (a video is larger than any other answer), after which the body errors.
   */
  async downloadFallback(stream: string, deadlineMs: number): Promise<FallbackDownload> {
    const route = 'GET /internal/streams/:id/fallback';
    const path = fillPath(INTERNAL_PATHS.fallback, { id: stream });
    const response = await this.dispatch({ route, method: 'GET', path }, AbortSignal.timeout(deadlineMs));
    if (response.statusCode !== 200) {
      const text = await readBounded(route, response.body).catch(() => '');
      throw this.failure(route, response.statusCode, text);
    }
    return {
      version: integerHeader(response.headers[FALLBACK_VERSION_HEADER]),
      sizeBytes: integerHeader(response.headers['content-length']),
      body: response.body,
    };
  }

  /**
   * An origin's report of a recording it holds; `keep: false` tells it to remove the recording
   * (deleted through /v1, or its stream is gone).
   */
  async reportVideo(uid: string, report: VideoReport): Promise<VideoReportAnswer> {
    const path = fillPath(INTERNAL_PATHS.video, { uid });
    return this.expect({ route: 'PUT /internal/videos/:uid', method: 'PUT', path, body: report }, 200, answers.videoReport);
  }

  /**
   * Where a recorded video is served and who may play it; null when the API has no such video
   * (unknown, deleted, or its stream is gone). As with lookupRoute, only the API's own 404 counts.
   */
  async lookupVideo(uid: string): Promise<VideoLocation | null> {
    const exchange = { route: 'GET /internal/videos/:uid', method: 'GET' as const, path: fillPath(INTERNAL_PATHS.video, { uid }) };
    const { status, text } = await this.send(exchange);
    if (status === 200) return this.parse(exchange.route, text, answers.videoLocation);
    const failure = this.failure(exchange.route, status, text);
    if (failure instanceof InternalApiRefusedError && status === 404 && failure.errorCode === VIDEO_NOT_FOUND_CODE) return null;
    throw failure;
  }

  /** The origin no longer holds the recording (retention, lost files): it is unlisted; idempotent. */
  async withdrawVideo(uid: string, originId: string): Promise<void> {
    const path = `${fillPath(INTERNAL_PATHS.video, { uid })}?${new URLSearchParams({ origin_id: originId })}`;
    await this.expectNoContent({ route: 'DELETE /internal/videos/:uid', method: 'DELETE', path });
  }

  /** An origin claims its pull sources (and reports how each is doing); the answer holds their URLs and publish keys. */
  async claimPulls(claim: PullClaim): Promise<PullClaimAnswer> {
    const exchange = { route: 'POST /internal/pulls/claim', method: 'POST' as const, path: INTERNAL_PATHS.pullClaim, body: claim };
    return this.expect(exchange, 200, answers.pullClaim);
  }

  /** Waits for requests under way, then closes the connections; closing again is a no-op. */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.pool.close(), this.viewerPool.close()]).then(() => undefined);
    return this.closing;
  }

  private async expect<S extends TSchema>(exchange: Exchange, expected: number, validator: AnswerCheck<S>): Promise<Static<S>> {
    const { status, text } = await this.send(exchange);
    if (status !== expected) throw this.failure(exchange.route, status, text);
    return this.parse(exchange.route, text, validator);
  }

  private async expectNoContent(exchange: Exchange): Promise<void> {
    const { status, text } = await this.send(exchange);
    if (status !== 204) throw this.failure(exchange.route, status, text);
  }

  /** One request and its whole answer within the deadline. */
  private async send(exchange: Exchange): Promise<{ status: number; text: string }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.dispatch(exchange, signal);
    try {
      return { status: response.statusCode, text: await readBounded(exchange.route, response.body) };
    } catch (error) {
      if (error instanceof InternalApiBadAnswerError) throw error;
      throw this.unavailable(exchange.route, error, signal);
    }
  }

  private async dispatch(exchange: Exchange, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const { route, method, path, body, viewers } = exchange;
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await (viewers ? this.viewerPool : this.pool).request({
        method,
        path: this.basePath + path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw this.unavailable(route, error, signal);
    }
  }

  private unavailable(route: string, error: unknown, signal: AbortSignal): InternalApiUnavailableError {
    const timedOut = signal.aborted || TIMEOUT_CODES.has((error as { code?: unknown } | undefined)?.code as string);
    const reason = timedOut ? `the API did not answer within ${this.timeoutMs} ms` : `the API is unreachable (${describe(error)})`;
    return new InternalApiUnavailableError(route, reason, undefined, { cause: error });
  }

  private parse<S extends TSchema>(route: string, text: string, validator: AnswerCheck<S>): Static<S> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InternalApiBadAnswerError(route, 'the answer is not JSON');
    }
    if (!validator.Check(value)) {
      const [first] = validator.Errors(value);
      throw new InternalApiBadAnswerError(route, `the answer does not match the contract: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`);
    }
    return value as Static<S>;
  }

  /** An answer other than the one expected: unavailable for 5xx, 408 and 429, refused otherwise. */
  private failure(route: string, status: number, text: string): InternalApiError {
    if (status >= 500 || status === 408 || status === 429) {
      return new InternalApiUnavailableError(route, `the API answered ${status}`, status);
    }
    if (status < 400) return new InternalApiBadAnswerError(route, `the API answered ${status}, which this route never answers`);
    let code: string | undefined;
    let message: string | undefined;
    try {
      const body: unknown = JSON.parse(text);
      if (answers.error.Check(body)) ({ code, message } = body.error);
    } catch {
      // Not the API's error shape: the status is all there is.
    }
    return new InternalApiRefusedError(route, status, code, message);
  }
}

/** The body as text, refused past MAX_ANSWER_BYTES (a peer cannot fill memory). */
async function readBounded(route: string, body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new InternalApiBadAnswerError(route, `the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function integerHeader(value: string | string[] | undefined): number | undefined {
  const number = typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
