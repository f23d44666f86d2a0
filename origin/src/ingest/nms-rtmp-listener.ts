/**
 * The only module that touches node-media-server internals (version pinned in origin/package.json).
 * We use its RTMP protocol and session code, but own the TCP listener so that:
 * - a publisher's malformed input is caught per connection and never crashes the process;
 * - media goes straight to our packager (no FLV/RTMP re-serialisation for RTMP players, which
 *   this origin does not offer), gated until the API authorized the publish: NMS v4 does not wait
 *   for its notify hooks.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Logger } from '../../../service-kit/src/logger.js';
import type { FlvTagSink, IncomingPublish } from './flv-tag-source.js';

const require = createRequire(import.meta.url);

interface NmsPacket {
  codec_type: number;
  dts: number;
  size: number;
  data: Buffer;
}

interface NmsRtmpSession {
  id: string;
  streamApp: string;
  streamName: string;
  isPublisher: boolean;
  socket: net.Socket;
  rtmp: { onPacketCallback: (packet: NmsPacket) => void };
  onData: (data: Buffer) => void;
  onPush: () => void;
  run(): void;
}

type NmsRtmpSessionClass = new (socket: net.Socket) => NmsRtmpSession;

const RtmpSession = require('node-media-server/src/session/rtmp_session.js') as NmsRtmpSessionClass;
const nmsContext = require('node-media-server/src/core/context.js') as {
  config: Record<string, unknown>;
  sessions: Map<string, unknown>;
};
const nmsLogger = require('node-media-server/src/core/logger.js') as {
  log: (message: string, level?: string) => void;
};

/** Stream paths in NMS messages may hold a stream key: keep only the app. */
function withoutStreamNames(message: string): string {
  return message.replace(/(\/[A-Za-z0-9_-]+\/)[^\s,]+/g, '$1***');
}

export interface RtmpListenerOptions {
  host: string;
  port: number;
  logger: Logger;
  onPublish: (publish: IncomingPublish) => void;
}

export class NmsRtmpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: RtmpListenerOptions) {
    nmsContext.config = {};
    const nmsLog = options.logger.child({ component: 'node-media-server' });
    nmsLogger.log = (message, level = 'info') => {
      if (level === 'error' || level === 'warn') nmsLog.warn(withoutStreamNames(message));
      else nmsLog.debug(withoutStreamNames(message));
    };
    this.server = net.createServer((socket) => this.accept(socket));
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

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    const session = new RtmpSession(socket);
    const parse = session.onData;
    session.onData = (data) => {
      try {
        parse(data);
      } catch (error) {
        this.options.logger.warn({ err: error, session: session.id }, 'malformed RTMP input: connection closed');
        socket.destroy();
      }
    };
    const publish = session.onPush;
    session.onPush = () => {
      publish();
      // NMS refuses a second publisher of a live path inside onPush (isPublisher stays false).
      if (session.isPublisher) this.options.onPublish(this.gatedPublish(session));
    };
    session.run();
    nmsContext.sessions.set(session.id, session);
  }

  private gatedPublish(session: NmsRtmpSession): IncomingPublish {
    let sink: FlvTagSink | undefined;
    // Replaces NMS's broadcast: nothing reads RTMP from this origin, and we must not fan out
    // media before the API has answered.
    session.rtmp.onPacketCallback = (packet) => {
      // A plain Uint8Array view, so that a consumer's `.slice()` copies (Buffer#slice would not).
      const body = new Uint8Array(packet.data.buffer, packet.data.byteOffset, packet.size);
      sink?.({ type: packet.codec_type, timestampMs: packet.dts, body });
    };
    const socket = session.socket;
    return {
      id: session.id,
      app: session.streamApp,
      requestedName: session.streamName,
      remoteAddress: socket.remoteAddress ?? '',
      setSink: (next) => {
        sink = next;
      },
      onClose: (listener) => {
        if (socket.destroyed) queueMicrotask(listener);
        else socket.once('close', listener);
      },
      disconnect: () => socket.destroy(),
    };
  }
}
