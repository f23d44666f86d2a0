/**
 * Concurrent misses for one object share one origin request, and every viewer waiting for it gets
 * the bytes as they arrive. lru-cache's `fetch()` coalesces too, but hands its waiters the value
 * only once the whole body is in: a viewer joining a 2 MB segment would wait for all of it before
 * its first byte. Here each fetch records its chunks as they come; a viewer joining late gets the
 * recorded chunks replayed, then follows the origin (the chunks are shared, not copied).
 *
 * A viewer leaving drops out alone; when the last one leaves before the body is complete the
 * origin request is cancelled (an abandoned fetch holds no connection or memory; the next viewer
 * starts a new one). A viewer whose answer is complete (a HEAD, a range, a 304) stays a member, so
 * the fetch still completes into the cache.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import {
  ClientClosedError,
  InternalError,
  OriginBadAnswerError,
  OriginTimeoutError,
} from './errors.js';
import { LiveError } from '../../service-kit/src/live-error.js';
import type { OriginFetcher, OriginRequest } from './origin-client.js';

/** The origin's status line and headers: 200 or 404 (any other status fails the fetch). */
export interface OriginHead {
  /** The origin that answered: not the one asked when a failover chose another. */
  origin: string;
  statusCode: 200 | 404;
  headers: IncomingHttpHeaders;
  /** `Content-Length`, when the origin sent one. */
  contentLength: number | undefined;
}

/**
 * How an origin fetch ended. `oversize`: larger than the object bound, streamed to its viewers and
 * not kept; `refused`: a refusal the plan relays to its viewers (an LL-HLS origin's 400 or 503);
 * `abandoned`: every viewer left before the end.
 */
export const FETCH_OUTCOMES = ['ok', 'not_found', 'oversize', 'bad_status', 'refused', 'truncated', 'unreachable', 'timeout', 'abandoned'] as const;
export type FetchOutcome = (typeof FETCH_OUTCOMES)[number];

/** What one fetch does, decided by whoever starts it. */
export interface FetchPlan<T> {
  request: Omit<OriginRequest, 'signal'>;
  /** Turns a complete 200 body into what waiters get (and stores it). Called at most once. */
  complete(head: OriginHead, body: Buffer): T;
  /** The origin answered 404. Called at most once. */
  notFound(head: OriginHead): void;
  /**
   * For any other status: the error to answer every viewer with instead of a 502, read from the
   * origin's (small) body; undefined for a 502.
   */
  refusal?(statusCode: number, body: Buffer): LiveError | undefined;
  /** Called once when the fetch is over, however it ended. */
  ended(outcome: FetchOutcome, seconds: number, bytes: number): void;
}

export interface JoinOptions {
  /** Aborted when this viewer leaves. */
  signal: AbortSignal;
  /** True: the viewer gets the body as a stream. False: it only needs the head or `complete`. */
  stream: boolean;
}

export interface Joined<T> {
  head: OriginHead;
  /** The body from its first byte (replayed, then live); undefined for a 404 or without `stream`. */
  body: Readable | undefined;
  /**
   * The complete object (undefined for a 404 or an object too large to keep). Rejects with an
   * LiveError when the fetch fails, or ClientClosedError when this viewer leaves first.
   */
  complete: Promise<T | undefined>;
}

export interface CoalescerOptions {
  fetcher: OriginFetcher;
  /** EDGE_CACHE_MAX_OBJECT_BYTES: most bytes recorded for late joiners, and buffered for one slow viewer. */
  maxObjectBytes: number;
  /** UPSTREAM_TIMEOUT_MS: the longest pause between two body chunks (the fetcher enforces it; named in errors). */
  timeoutMs: number;
}

/** Bytes of an unwanted body (a 404 page, a 5xx) read so the connection can be reused; past this it is closed. */
const DISCARD_LIMIT_BYTES = 64 * 1024;

export class Coalescer<T> {
  private readonly flights = new Map<string, Flight<T>>();

  constructor(private readonly options: CoalescerOptions) {}

  /** True while a fetch for `key` is under way that a new viewer would join. */
  isFetching(key: string): boolean {
    return this.flights.has(key);
  }

  /** Fetches under way. */
  size(): number {
    return this.flights.size;
  }

  /**
   * Joins the fetch under way for `key`, or starts one with `plan`. Resolves with the origin's
   * head (200 or 404); rejects with a LiveError when there is none, or ClientClosedError when
   * the viewer leaves first.
   */
  join(key: string, plan: FetchPlan<T>, options: JoinOptions): Promise<Joined<T>> {
    if (options.signal.aborted) return Promise.reject(new ClientClosedError(plan.request.stream));
    let flight = this.flights.get(key);
    if (!flight) {
      flight = new Flight(plan, this.options, () => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      });
      this.flights.set(key, flight);
      flight.start();
    }
    return flight.add(options);
  }
}

interface Waiter {
  out: Readable | undefined;
  /** Settles this waiter's own promises when it leaves. */
  leave(): void;
  detach(): void;
}

/** One origin request and the viewers waiting for it. */
class Flight<T> {
  private readonly controller = new AbortController();
  private readonly waiters = new Set<Waiter>();
  private readonly head = deferred<OriginHead>();
  private readonly completion = deferred<T | undefined>();
  /** Chunks so far, for late joiners; undefined once the body outgrew the bound. */
  private chunks: Buffer[] | undefined = [];
  private received = 0;
  private finished = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly plan: FetchPlan<T>,
    private readonly options: CoalescerOptions,
    /** Takes the flight out of the map: later viewers start their own. */
    private readonly release: () => void,
  ) {}

  start(): void {
    void this.run();
  }

  add({ signal, stream }: JoinOptions): Promise<Joined<T>> {
    const out = stream ? new Readable({ read() {} }) : undefined;
    if (out) {
      // Consumers attach their own listeners; a failure before they do must not crash the edge.
      out.on('error', ignore);
      for (const chunk of this.chunks ?? []) out.push(chunk);
    }
    const left = deferred<never>();
    const waiter: Waiter = {
      out,
      leave: () => left.reject(new ClientClosedError(this.plan.request.stream)),
      detach: () => signal.removeEventListener('abort', onAbort),
    };
    const onAbort = (): void => this.remove(waiter);
    signal.addEventListener('abort', onAbort, { once: true });
    this.waiters.add(waiter);

    const complete = Promise.race([this.completion.promise, left.promise]);
    complete.catch(ignore);
    return Promise.race([this.head.promise, left.promise]).then((head) => ({
      head,
      body: head.statusCode === 200 ? out : undefined,
      complete,
    }));
  }

  private remove(waiter: Waiter, error?: Error): void {
    if (!this.waiters.delete(waiter)) return;
    waiter.detach();
    waiter.leave();
    waiter.out?.destroy(error);
    if (this.waiters.size === 0 && !this.finished) {
      this.finish('abandoned');
      this.controller.abort();
      const gone = new ClientClosedError(this.plan.request.stream);
      this.head.reject(gone);
      this.completion.reject(gone);
    } else this.dropIfUseless();
  }

  /**
   * A body too large to keep is only worth its origin request while a viewer streams it: the
   * others (a playlist waits for the whole text, a HEAD for nothing) get an error.
   */
  private dropIfUseless(): void {
    if (this.finished || this.chunks || [...this.waiters].some((waiter) => waiter.out && !waiter.out.destroyed)) return;
    const { stream, origin } = this.plan.request;
    const reason = `the body is larger than ${this.options.maxObjectBytes} bytes`;
    this.fail(new OriginBadAnswerError(stream, origin, reason), 'oversize');
    this.controller.abort();
  }

  private async run(): Promise<void> {
    const { request } = this.plan;
    let answer;
    try {
      answer = await this.options.fetcher.fetch({ ...request, signal: this.controller.signal });
    } catch (error) {
      this.fail(asEdgeError(error), outcomeOf(error));
      return;
    }
    const { origin, statusCode, headers, body } = answer;
    if (this.finished) {
      body.destroy();
      return;
    }
    if (statusCode === 404) {
      discard(body);
      const head: OriginHead = { origin, statusCode, headers, contentLength: undefined };
      this.plan.notFound(head);
      this.head.resolve(head);
      this.succeed('not_found', undefined);
      return;
    }
    if (statusCode !== 200) {
      let refusal: LiveError | undefined;
      if (this.plan.refusal) refusal = this.plan.refusal(statusCode, await readSmall(body));
      else discard(body);
      if (refusal) this.fail(refusal, 'refused');
      else this.fail(new OriginBadAnswerError(request.stream, origin, `it answered ${statusCode}`), 'bad_status');
      return;
    }
    const contentLength = lengthOf(headers['content-length']);
    const head: OriginHead = { origin, statusCode, headers, contentLength };
    if (contentLength !== undefined && contentLength > this.options.maxObjectBytes) this.stopRecording();
    // Nobody wants a body that large (see dropIfUseless): the request is aborted already.
    if (this.finished) return;
    body.on('data', (chunk: Buffer) => this.onChunk(chunk));
    body.once('end', () => {
      if (contentLength !== undefined && this.received !== contentLength) {
        const reason = `the body ended after ${this.received} of ${contentLength} bytes`;
        this.fail(new OriginBadAnswerError(request.stream, origin, reason), 'truncated');
        return;
      }
      const chunks = this.chunks;
      this.succeed(chunks ? 'ok' : 'oversize', chunks && this.plan.complete(head, Buffer.concat(chunks, this.received)));
    });
    body.once('error', (error: unknown) => this.fail(this.bodyError(error), bodyOutcome(error)));
    this.head.resolve(head);
  }

  private onChunk(chunk: Buffer): void {
    if (this.finished) return;
    this.received += chunk.length;
    if (this.chunks) {
      if (this.received > this.options.maxObjectBytes) this.stopRecording();
      else this.chunks.push(chunk);
    }
    for (const waiter of this.waiters) {
      const { out } = waiter;
      if (!out || out.destroyed) continue;
      // Only reachable once recording stopped: a viewer that far behind is cut, not buffered for.
      if (out.readableLength > this.options.maxObjectBytes) this.remove(waiter, new Error('viewer too slow'));
      else out.push(chunk);
    }
  }

  /** Too large to keep: drop what was recorded; viewers already here follow to the end, new ones start their own fetch. */
  private stopRecording(): void {
    this.chunks = undefined;
    this.release();
    this.dropIfUseless();
  }

  private succeed(outcome: FetchOutcome, value: T | undefined): void {
    if (this.finished) return;
    this.finish(outcome);
    for (const waiter of this.waiters) {
      waiter.detach();
      waiter.out?.push(null);
    }
    this.completion.resolve(value);
  }

  private fail(error: LiveError, outcome: FetchOutcome): void {
    if (this.finished) return;
    this.finish(outcome);
    this.head.reject(error);
    this.completion.reject(error);
    // Viewers whose answer already started have their connection cut: they must not take a
    // truncated body for a whole one.
    for (const waiter of this.waiters) {
      waiter.detach();
      waiter.out?.destroy(error);
    }
  }

  private bodyError(error: unknown): LiveError {
    const { stream, origin } = this.plan.request;
    if (bodyOutcome(error) === 'timeout') return new OriginTimeoutError(stream, origin, this.options.timeoutMs, { cause: error });
    return new OriginBadAnswerError(stream, origin, 'the body was cut short', { cause: error });
  }

  private finish(outcome: FetchOutcome): void {
    this.finished = true;
    this.release();
    this.plan.ended(outcome, (performance.now() - this.startedAt) / 1_000, this.received);
  }
}

interface Deferred<V> {
  promise: Promise<V>;
  resolve(value: V): void;
  reject(error: unknown): void;
}

function deferred<V>(): Deferred<V> {
  let resolve!: (value: V) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when it settles (every viewer left): that is not an unhandled rejection.
  promise.catch(ignore);
  return { promise, resolve, reject };
}

function ignore(): void {
  // See the callers.
}

/** Reads an unwanted body to its end so the connection is reused, or closes it if the body is large. */
function discard(body: Readable): void {
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > DISCARD_LIMIT_BYTES) body.destroy();
  });
}

/** A small body whole (an error's JSON); empty when it is larger than the discard limit or breaks off. */
function readSmall(body: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= DISCARD_LIMIT_BYTES) chunks.push(chunk);
      else {
        body.destroy();
        resolve(Buffer.alloc(0));
      }
    });
    body.once('end', () => resolve(Buffer.concat(chunks)));
    body.once('error', () => resolve(Buffer.alloc(0)));
    body.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

function lengthOf(header: string | undefined): number | undefined {
  if (header === undefined || !/^[0-9]+$/.test(header)) return undefined;
  return Number(header);
}

function asEdgeError(error: unknown): LiveError {
  return error instanceof LiveError ? error : new InternalError();
}

function outcomeOf(error: unknown): FetchOutcome {
  if (error instanceof OriginTimeoutError) return 'timeout';
  if (error instanceof ClientClosedError) return 'abandoned';
  return 'unreachable';
}

const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';

function bodyOutcome(error: unknown): FetchOutcome {
  return (error as { code?: unknown } | null)?.code === BODY_TIMEOUT ? 'timeout' : 'truncated';
}

