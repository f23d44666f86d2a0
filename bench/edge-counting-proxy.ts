/**
 * Stands between the edge and the origin (discovery reports its address as the origin's), so the
 * benchmark counts on the origin's side every request the edge makes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../test-support/free-port.js';

export interface CountingProxy {
  /** `127.0.0.1:port`, for ORIGIN_HOST. */
  host: string;
  /** Where requests go: the origin's `http://host:port`, set once it is known. */
  target: string | undefined;
  /** Requests per path since the last reset. */
  counts: Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(): Promise<CountingProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const proxy: CountingProxy = {
    host: '',
    target: undefined,
    counts: new Map(),
    reset: () => proxy.counts.clear(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    proxy.counts.set(url, (proxy.counts.get(url) ?? 0) + 1);
    if (!proxy.target) {
      res.writeHead(503).end();
      return;
    }
    const upstream = http.request(`${proxy.target}${url}`, { method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
