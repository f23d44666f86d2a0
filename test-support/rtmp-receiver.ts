/**
 * A real RTMP (or RTMPS) server for tests of our RTMP clients: node-media-server's RTMP
 * protocol and session code (pinned in origin/package.json) behind our own listener, which
 * records every tag a publisher sends. It can refuse a wrong stream key the two ways platforms
 * do, and stall (stop reading) to play a stuck target.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

interface NmsPacket {
  codec_type: number;
  dts: number;
  size: number;
  data: Buffer;
}

interface NmsRtmp {
  parserPacket: { header: { stream_id: number } };
  onPacketCallback: (packet: NmsPacket) => void;
  onPublish: (invoke: { streamName: string }) => void;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
}

interface NmsRtmpSession {
  streamApp?: string;
  streamName?: string;
  rtmp: NmsRtmp;
  onData: (data: Buffer) => void;
  onPush: () => void;
  onClose: () => void;
  run(): void;
}

const RtmpSession = require('node-media-server/src/session/rtmp_session.js') as new (socket: Duplex) => NmsRtmpSession;
const nmsLogger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };

export interface ReceivedTag {
  type: number;
  timestampMs: number;
  body: Uint8Array;
}

export interface ReceivedPublish {
  app: string;
  name: string;
  /** Copies, in arrival order. */
  tags: ReceivedTag[];
  closed: boolean;
  /** Cuts this publisher off, as a crashing server would. */
  disconnect(): void;
}

export interface RtmpReceiverOptions {
  /** Publishes of any other stream name are refused. */
  expectedKey?: string;
  /** How a wrong key is refused: an error onStatus (default), or Publish.Start then a close (as Twitch does). */
  refuseBy?: 'status' | 'close';
  /** After the publish starts, stop reading the socket: a stuck target. */
  stallAfterPublish?: boolean;
  /** PEM key and certificate: serve RTMPS. */
  tls?: { key: string; cert: string };
  /** To come back on the port of a receiver that went away. Default: a free one. */
  port?: number;
}

export interface RtmpReceiver {
  port: number;
  publishes: ReceivedPublish[];
  /** Publishes refused for a wrong key. */
  refused: number;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

export async function startRtmpReceiver(options: RtmpReceiverOptions = {}): Promise<RtmpReceiver> {
  nmsLogger.log = () => undefined;
  const sockets = new Set<Duplex & { destroy(): void }>();
  const receiver: RtmpReceiver = { port: 0, publishes: [], refused: 0, close: async () => undefined };

  const accept = (socket: net.Socket | tls.TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const session = new RtmpSession(socket);
    const parse = session.onData;
    session.onData = (data) => {
      try {
        parse(data);
      } catch {
        socket.destroy();
      }
    };
    // No broadcast bookkeeping: this receiver only records.
    session.onClose = () => undefined;
    const publish = session.rtmp.onPublish.bind(session.rtmp);
    session.rtmp.onPublish = (invoke) => {
      const name = invoke.streamName.split('?')[0] ?? '';
      if (options.expectedKey !== undefined && name !== options.expectedKey) {
        receiver.refused += 1;
        if (options.refuseBy === 'close') {
          publish(invoke);
          socket.destroy();
          return;
        }
        // As nginx and Wowza word it, with the name in it: the client must mask it.
        session.rtmp.sendStatusMessage(session.rtmp.parserPacket.header.stream_id, 'error', 'NetStream.Publish.BadName', `Invalid stream key ${name}`);
        setTimeout(() => socket.end(), 50);
        return;
      }
      publish(invoke);
    };
    session.onPush = () => {
      if (socket.destroyed || !session.streamName) return;
      const entry: ReceivedPublish = {
        app: session.streamApp ?? '',
        name: session.streamName,
        tags: [],
        closed: false,
        disconnect: () => socket.destroy(),
      };
      receiver.publishes.push(entry);
      socket.once('close', () => {
        entry.closed = true;
      });
      session.rtmp.onPacketCallback = (packet) => {
        entry.tags.push({ type: packet.codec_type, timestampMs: packet.dts, body: Uint8Array.prototype.slice.call(packet.data, 0, packet.size) });
      };
      if (options.stallAfterPublish) {
        // Once the bytes already read are parsed: from then on the kernel buffers fill up.
        setImmediate(() => socket.pause());
      }
    };
    session.run();
  };

  const server = options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, accept) : net.createServer(accept);
  receiver.port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  receiver.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return receiver;
}

/** AMF0 string "@setDataFrame": a publisher's instruction to the server, not part of the metadata. */
const SET_DATA_FRAME = Buffer.from('02000d40736574446174614672616d65', 'hex');

/** The received tags as an FLV file (Adobe FLV spec, annex E), for ffprobe; as servers record them. */
export function flvFileOf(received: readonly ReceivedTag[]): Uint8Array {
  const tags = received.map((tag) =>
    tag.type === 18 && Buffer.from(tag.body.subarray(0, SET_DATA_FRAME.length)).equals(SET_DATA_FRAME)
      ? { ...tag, body: tag.body.subarray(SET_DATA_FRAME.length) }
      : tag,
  );
  const hasAudio = tags.some((tag) => tag.type === 8);
  const hasVideo = tags.some((tag) => tag.type === 9);
  const size = 13 + tags.reduce((sum, tag) => sum + 11 + tag.body.length + 4, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  // Signature, version 1, flags (audio 0x04, video 0x01), header size 9, PreviousTagSize0 = 0.
  out.set([0x46, 0x4c, 0x56, 1, (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
  let offset = 13;
  for (const tag of tags) {
    // TagType (8 bits), DataSize (24 bits).
    view.setUint32(offset, (tag.type << 24) | tag.body.length);
    // Timestamp: lower 24 bits, then the upper 8 bits.
    view.setUint32(offset + 4, ((tag.timestampMs & 0xffffff) << 8) | ((tag.timestampMs >>> 24) & 0xff));
    // StreamID (24 bits) stays 0.
    out.set(tag.body, offset + 11);
    view.setUint32(offset + 11 + tag.body.length, 11 + tag.body.length);
    offset += 11 + tag.body.length + 4;
  }
  return out;
}
