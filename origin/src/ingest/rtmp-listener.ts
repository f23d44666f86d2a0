/**
 * The origin's RTMP listener: our own TCP server in front of node-media-server's protocol code
 * (nms-rtmp-connection.ts), so that
 * - a publisher's malformed input is caught per connection and never crashes the process;
 * - every connection is bounded: how many (in all and per address), how long until `publish`,
 *   how long it may stay silent, how much chunk-stream state it holds;
 * - media goes straight to our packager, gated until the API authorized the publish
 *   (publish-gate.ts); nothing is fanned out, nothing is held before `publish`.
 */
import net from 'node:net';
import type { Logger } from '../../../service-kit/src/logger.js';
import { ConnectionLimits, type ConnectionRefusal } from './connection-limits.js';
import type { FlvTagSink, IncomingPublish } from './flv-tag-source.js';
import type { PublishRefusalCounter } from './publish-refusal.js';
import { routeNmsLogs, serveRtmpConnection, type RtmpChunkBounds } from './nms-rtmp-connection.js';
import { chunkBoundsOf, type RtmpIngestLimits } from './rtmp-ingest-settings.js';
import { LivePublishers } from './live-publishers.js';

/** Refused connections are logged at most this often (a flood must not flood the logs). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface RtmpListenerOptions {
  host: string;
  port: number;
  logger: Logger;
  limits: RtmpIngestLimits;
  onPublish: (publish: IncomingPublish) => void;
  /** Counts refused connections and publishes (metrics). */
  refusals?: PublishRefusalCounter & { connectionRefused(limit: ConnectionRefusal): void };
}

export class RtmpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections: ConnectionLimits;
  private readonly bounds: RtmpChunkBounds;
  /** `app/name` of every publish on an open connection: a second publisher of one is refused. */
  private readonly livePaths = new LivePublishers<string>();
  private refusals = { count: 0, lastLoggedAt: -Infinity };
  /** Resolves once the server has closed and every connection with it (it closes once, for a drain or a stop). */
  private closed: Promise<void> | undefined;

  constructor(private readonly options: RtmpListenerOptions) {
    const { limits, logger } = options;
    const nmsLog = logger.child({ component: 'node-media-server' });
    routeNmsLogs((message) => nmsLog.debug(message));
    this.connections = new ConnectionLimits(limits);
    this.bounds = chunkBoundsOf(limits);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Bytes of RTMP chunk-stream state (message buffers) all its connections hold now. */
  get chunkStateBytes(): number {
    return this.bounds.total.usedBytes;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : this.options.port);
      });
    });
  }

  /** Publishes on open connections (authorized or waiting for the API). */
  get publishers(): number {
    return this.livePaths.size;
  }

  /** From now on new connections are refused by the system; open ones go on. */
  stopAccepting(): void {
    this.closed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once no publish is on an open connection (at once when none is). */
  whenNoPublishers(): Promise<void> {
    return this.livePaths.whenEmpty();
  }

  async close(): Promise<void> {
    this.stopAccepting();
    for (const socket of this.sockets) socket.destroy();
    await this.closed;
  }

  private accept(socket: net.Socket): void {
    const addr = socket.remoteAddress ?? '';
    socket.on('error', () => undefined);
    const refusal = this.connections.tryOpen(addr);
    if (refusal) {
      this.refused(addr, refusal);
      socket.destroy();
      return;
    }
    const { limits, logger } = this.options;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const handshake = setTimeout(() => {
      logger.warn({ addr, session: connection.id, limit: 'RTMP_HANDSHAKE_TIMEOUT_MS' }, 'RTMP connection closed: no publish in time');
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    socket.setTimeout(limits.idleTimeoutMs, () => {
      logger.warn({ addr, session: connection.id, limit: 'RTMP_IDLE_TIMEOUT_MS' }, 'RTMP connection closed: it sent nothing for too long');
      socket.destroy();
    });
    socket.once('close', () => {
      clearTimeout(handshake);
      this.sockets.delete(socket);
      this.connections.close(addr);
    });
    const connection = serveRtmpConnection(socket, {
      bounds: this.bounds,
      onRejected: (reason) => logger.warn({ addr, session: connection.id, reason }, 'RTMP connection closed: bad input'),
      onPublish: ({ app, name }) => {
        clearTimeout(handshake);
        const path = `${app}/${name}`;
        if (this.livePaths.has(path)) {
          this.options.refusals?.publishRefused('already_live');
          return { refuse: 'this stream is already being published' };
        }
        this.livePaths.add(path);
        socket.once('close', () => this.livePaths.delete(path));
        let sink: FlvTagSink | undefined;
        this.options.onPublish({
          id: connection.id,
          app,
          requestedName: name,
          remoteAddress: addr,
          setSink: (next) => {
            sink = next;
          },
          onClose: (listener) => {
            if (socket.destroyed) queueMicrotask(listener);
            else socket.once('close', listener);
          },
          disconnect: () => socket.destroy(),
        });
        return { sink: (tag) => sink?.(tag) };
      },
    });
  }

  private refused(addr: string, limit: ConnectionRefusal): void {
    this.options.refusals?.connectionRefused(limit);
    this.refusals.count += 1;
    const now = performance.now();
    if (now - this.refusals.lastLoggedAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.options.logger.warn(
      { addr, limit, refusedSinceLastLog: this.refusals.count, open: this.connections.open },
      'RTMP connection refused: limit reached',
    );
    this.refusals = { count: 0, lastLoggedAt: now };
  }
}
