/**
 * What every service's Prometheus metrics share: a registry of its own (several apps in one
 * process, as in tests, count apart; nothing goes to prom-client's global registry), the
 * process's default metrics, and the `GET /metrics` route.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createError } from './live-error.js';

class MetricsUnauthorizedError extends createError(
  'LIVE_ERR_UNAUTHORIZED',
  () => 'GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>',
) {}

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Bound counters by metric and label values: a handful of combinations each. */
  private readonly children = new Map<Counter<string>, Map<string, Counter.Internal>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  protected counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  protected histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** A gauge whose value `read` sets when it is scraped. */
  protected gauge<L extends string = never>(name: string, help: string, read: (gauge: Gauge<L>) => void, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        read(this);
      },
    });
  }

  /**
   * Starts every combination of the given label values at zero, for labels whose values are
   * known in advance (reasons, codes, outcomes). A series that first appears at its first event
   * is invisible to rate() (it starts at 1: no increase) and leaves a dashboard panel at "No data"
   * instead of 0 until something goes wrong; Prometheus's instrumentation guide says to
   * initialise such series ("Avoid missing metrics").
   */
  protected startAtZero<L extends string>(metric: Counter<L> | Histogram<L>, values: Record<L, readonly string[]>): void {
    let combinations: Array<Partial<Record<L, string>>> = [{}];
    for (const [name, options] of Object.entries(values) as Array<[L, readonly string[]]>) {
      combinations = combinations.flatMap((labels) => options.map((value) => ({ ...labels, [name]: value })));
    }
    for (const labels of combinations as Array<Record<L, string>>) {
      if (metric instanceof Histogram) metric.zero(labels);
      else metric.inc(labels, 0);
    }
  }

  /**
   * The counter of one label combination, looked up once: `inc({labels})` hashes its labels on
   * every call, and some of these run on every request.
   */
  protected child(counter: Counter<string>, ...values: string[]): Counter.Internal {
    let children = this.children.get(counter);
    if (!children) {
      children = new Map();
      this.children.set(counter, children);
    }
    const key = values.join('\0');
    let child = children.get(key);
    if (!child) {
      child = counter.labels(...values);
      children.set(key, child);
    }
    return child;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export interface MetricsRouteOptions {
  /**
   * METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>` (Prometheus's
   * `authorization.credentials`); for a /metrics on a listener the public can reach.
   */
  token?: string;
}

/**
 * `GET /metrics`: the Prometheus text of `metrics`, never cached. Any server, logger and type
 * provider: each service builds its app its own way.
 */
export function serveMetrics(app: FastifyInstance<any, any, any, any, any>, metrics: ServiceMetrics, { token }: MetricsRouteOptions = {}): void {
  const expected = token === undefined ? undefined : sha256(`Bearer ${token}`);
  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (expected && !timingSafeEqual(sha256(request.headers.authorization ?? ''), expected)) {
      const error = new MetricsUnauthorizedError();
      return reply.code(error.statusCode).header('www-authenticate', 'Bearer').send(error.toBody());
    }
    reply.header('content-type', metrics.contentType);
    return metrics.text();
  });
}

/** Hashed first so both sides have one length and the token's length does not leak. */
function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
