/**
 * The way out for the ffmpeg of one pull attempt reading over HTTP or HTTPS: a forward proxy on
 * 127.0.0.1 that resolves each host ffmpeg asks for once, checks every address with the
 * AddressPolicy, and connects to a checked address. The API checked the source's host when the
 * pull was saved and the runner again before the attempt, but ffmpeg alone would still go
 * wherever an HTTP redirect, a playlist naming its segments on another host, or a DNS answer
 * changed since the check (rebinding) sends it: into the operator's private network. HTTPS goes
 * through CONNECT, so TLS stays end to end between ffmpeg and the source.
 *
 * One proxy per attempt, so that what it refused is that pull's reason (`refusal`), not a
 * neighbour's.
 */
import net from 'node:net';
import type { AddressPolicy } from '../../../network-policy/src/address-policy.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import { forwardedHead, parseProxyRequest, proxyAnswer, proxyHeadEnd, ProxyRequestError, type ProxyRequest } from './proxy-request-head.js';

/** A request head must be complete this soon after the connection opens. */
const HEAD_TIMEOUT_MS = 10_000;
/** A server that does not accept the connection this soon is given up on (ffmpeg's -rw_timeout covers reads after). */
const CONNECT_TIMEOUT_MS = 10_000;

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway' };

export interface PullEgressProxyOptions {
  addressPolicy: Pick<AddressPolicy, 'resolve'>;
  logger: Logger;
}

export class PullEgressProxy {
  /** The first host the policy refused, as the policy said it (no path, no query: they may hold secrets). */
  refusal: string | undefined;
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  private port = 0;

  private constructor(private readonly options: PullEgressProxyOptions) {}

  static async start(options: PullEgressProxyOptions): Promise<PullEgressProxy> {
    const proxy = new PullEgressProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** `http://127.0.0.1:<port>`, for ffmpeg's http_proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and cuts every connection still open. */
  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.setTimeout(HEAD_TIMEOUT_MS, () => client.destroy());
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let request: ProxyRequest;
      let end: number;
      try {
        end = proxyHeadEnd(received);
        if (end < 0) return;
        request = parseProxyRequest(received.subarray(0, end));
      } catch (error) {
        client.off('data', onData);
        if (!(error instanceof ProxyRequestError)) throw error;
        client.end(proxyAnswer(error.status, REASONS[error.status]!, error.message));
        return;
      }
      client.off('data', onData);
      client.pause();
      void this.open(client, request, received.subarray(end));
    };
    client.on('data', onData);
  }

  private async open(client: net.Socket, request: ProxyRequest, rest: Buffer): Promise<void> {
    const { addressPolicy, logger } = this.options;
    let addresses: string[];
    try {
      addresses = await addressPolicy.resolve(request.host);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.refusal ??= reason;
      logger.warn({ host: request.host, port: request.port, reason }, 'pull source: a connection ffmpeg asked for was refused');
      client.end(proxyAnswer(403, REASONS[403]!, reason));
      return;
    }
    if (client.destroyed) return;
    const upstream = net.connect({ host: addresses[0], port: request.port });
    this.track(upstream);
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy());
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      client.setTimeout(0);
      if (request.kind === 'connect') client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      else upstream.write(forwardedHead(request));
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('close', () => {
      if (!connected) client.end(proxyAnswer(502, REASONS[502]!, `could not connect to ${request.host} port ${request.port}`));
      else client.destroySoon();
    });
    client.once('close', () => upstream.destroy());
  }
}
