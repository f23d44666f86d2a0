import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { PublishTarget } from './publish-gate.js';
import type { PublishAuthorizer } from './publish-authorizer.js';
import type { PublishRefusalCounter } from './publish-refusal.js';
import { WebSocketPublisher, WS_CLOSE } from './websocket-publisher.js';
import { WEBSOCKET_INGEST_PATH, type WebSocketIngestLimits } from './websocket-ingest-settings.js';
import { newPublishSessionId } from './publish-session-id.js';
import { LivePublishers } from './live-publishers.js';

export interface WebSocketIngestOptions {
  authorizer: PublishAuthorizer;
  target: PublishTarget;
  limits: WebSocketIngestLimits;
  ffmpegPath: string;
  logger: Logger;
  refusals?: PublishRefusalCounter;
}

/**
 * WebSocket ingest on the origin's HTTP server. The stream key is authorized through the API (as
 * an RTMP key is) during the HTTP upgrade, before the WebSocket exists: a refused page gets a 4xx
 * JSON answer and no byte of its media is read. An allowed one becomes a WebSocketPublisher fed
 * into the same publish target (packaging, restream, fallback, discovery) as RTMP.
 */
export class WebSocketIngest {
  private readonly server: WebSocketServer;
  private readonly publishers = new LivePublishers<WebSocketPublisher>();
  /** Upgrades being authorized plus publishers open: what WS_INGEST_MAX_CONNECTIONS bounds. */
  private admitted = 0;
  private accepting = true;

  constructor(private readonly options: WebSocketIngestOptions) {
    // ws closes a connection whose message is larger with 1009 "Max payload size exceeded".
    this.server = new WebSocketServer({ noServer: true, maxPayload: options.limits.maxMessageBytes, perMessageDeflate: false });
  }

  /**
   * Takes upgrades on the origin's HTTP server. They never reach its routes, so the edges' secret
   * (ORIGIN_SECRET, which guards the media an origin serves) is not asked: a publisher is
   * authorized by its stream key, as on the RTMP port, and HAProxy's fronts forward only this
   * path here, so no playlist or segment becomes reachable through it.
   */
  attach(http: Server): void {
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node's HTTP server lets go of an upgrading socket's errors: a client resetting it while the
      // key is authorized (or after a refusal) would otherwise be an uncaught 'error' that ends
      // the origin. ws adds its own handlers once it takes the socket.
      socket.on('error', () => socket.destroy());
      void this.upgrade(request, socket, head).catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'WebSocket publish failed to start');
        this.options.refusals?.publishRefused('failed');
        refuseUpgrade(socket, 500, 'LIVE_ERR_INTERNAL', 'the publish could not start');
      });
    });
  }

  get size(): number {
    return this.publishers.size;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  /** Resolves once no browser publisher is live (at once when none is): the drain waits for it. */
  whenNoPublishers(): Promise<void> {
    return this.publishers.whenEmpty();
  }

  close(): void {
    this.accepting = false;
    for (const publisher of this.publishers) publisher.drop(WS_CLOSE.goingAway, 'origin stopping');
    this.server.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://origin');
    if (url.pathname !== WEBSOCKET_INGEST_PATH) return refuseUpgrade(socket, 404, 'LIVE_ERR_NOT_FOUND', 'no WebSocket endpoint here');
    const key = url.searchParams.get('stream_key');
    if (!key) return refuseUpgrade(socket, 400, 'LIVE_ERR_VALIDATION', 'stream_key is required');
    const { logger, refusals } = this.options;
    if (!this.accepting) {
      refusals?.publishRefused('shutting_down');
      return refuseUpgrade(socket, 503, 'LIVE_ERR_UNAVAILABLE', 'this origin takes no new publishers');
    }
    if (this.admitted >= this.options.limits.maxConnections) {
      logger.warn({ protocol: 'websocket', limit: this.options.limits.maxConnections }, 'WebSocket publisher refused: WS_INGEST_MAX_CONNECTIONS reached');
      return refuseUpgrade(socket, 503, 'LIVE_ERR_UNAVAILABLE', 'this origin holds as many browser publishers as it may; retry later');
    }
    // Held until the publish ends, or the upgrade is refused or abandoned: released once, by
    // whichever comes first (the socket's close covers a handshake ws aborts without telling).
    this.admitted += 1;
    let held = true;
    const release = () => {
      if (held) this.admitted -= 1;
      held = false;
    };
    socket.once('close', release);
    const opened = await this.admit(request, socket, head, key, release).catch((error: unknown) => {
      release();
      throw error;
    });
    if (!opened) release();
  }

  /** Authorizes `key` and opens the publisher; false when refused (the caller releases its admission), else the publisher calls `release` when it closes. */
  private async admit(request: IncomingMessage, socket: Duplex, head: Buffer, key: string, release: () => void): Promise<boolean> {
    const { logger, refusals } = this.options;
    const id = newPublishSessionId();
    const remoteAddress = request.socket.remoteAddress ?? '';
    const log = logger.child({ session: id, protocol: 'websocket', addr: remoteAddress });
    const decision = await this.options.authorizer.authorize({ app: 'stream', name: key, addr: remoteAddress, sessionId: id });
    if (!decision.allowed) {
      log.warn({ reason: decision.reason }, 'publish refused');
      refusals?.publishRefused(decision.refusal);
      if (decision.refusal === 'denied') refuseUpgrade(socket, 403, 'LIVE_ERR_FORBIDDEN', 'the stream key is not allowed to publish');
      else refuseUpgrade(socket, 503, 'LIVE_ERR_UNAVAILABLE', 'the publish could not be authorized now; retry');
      return false;
    }
    if (socket.destroyed) return false;
    this.server.handleUpgrade(request, socket, head, (ws) => {
      const publisher = new WebSocketPublisher({
        id,
        requestedName: key,
        remoteAddress,
        socket: ws,
        limits: this.options.limits,
        ffmpegPath: this.options.ffmpegPath,
        onDropped: (reason) => log.warn({ stream: decision.streamName, reason }, 'WebSocket publisher dropped'),
      });
      const opened = this.options.target.open(decision, publisher);
      if ('refused' in opened) {
        log.warn({ stream: decision.streamName, reason: opened.refused }, 'publish refused');
        refusals?.publishRefused(opened.reason);
        publisher.drop(WS_CLOSE.policy, opened.refused);
        return;
      }
      log.info({ stream: decision.streamName }, 'publish started');
      this.publishers.add(publisher);
      publisher.setSink(opened.sink);
      publisher.onClose(() => {
        release();
        this.publishers.delete(publisher);
        log.info({ stream: decision.streamName }, 'publish ended');
        opened.end();
      });
    });
    return true;
  }
}

/** An HTTP answer on the raw socket of a refused upgrade: the page sees the status, curl the JSON. */
function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
