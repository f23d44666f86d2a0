import Fastify, { type FastifyInstance } from 'fastify';
import { serveMetrics, type ServiceMetrics } from '../../service-kit/src/service-metrics.js';

export interface DiscoveryHttpOptions {
  metrics: ServiceMetrics;
  /** True once the initial scan of HLS_PATH is done, until shutdown starts. */
  ready: () => boolean;
}

const statusBody = (statuses: string[]) =>
  ({ type: 'object', required: ['status'], properties: { status: { type: 'string', enum: statuses } } }) as const;

/**
 * Discovery's HTTP face, for probes and Prometheus only (it serves no media and takes no
 * commands): `GET /health` (the process answers), `GET /ready` (200 once the initial scan of
 * HLS_PATH is done, 503 before and from shutdown on), `GET /metrics`.
 */
export function buildDiscoveryHttp({ metrics, ready }: DiscoveryHttpOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/health', { schema: { response: { 200: statusBody(['ok']) } } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { response: { 200: statusBody(['ready']), 503: statusBody(['starting']) } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return ready() ? { status: 'ready' } : reply.code(503).send({ status: 'starting' });
  });
  serveMetrics(app, metrics);
  return app;
}
