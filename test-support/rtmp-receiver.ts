/**
 * A real RTMP (or RTMPS) server for tests of our RTMP clients: node-media-server's RTMP
 * protocol code through the origin's adapter (origin/src/ingest/nms-rtmp-connection.ts) behind
 * our own listener, which records every tag a publisher sends. It can refuse a wrong stream key
 * the two ways platforms do, and stall (stop reading) to play a stuck target.
 */
import net from 'node:net';
import tls from 'node:tls';
import { routeNmsLogs, serveRtmpConnection } from '../origin/src/ingest/nms-rtmp-connection.js';
import { chunkBoundsOf, readRtmpIngestLimits } from '../origin/src/ingest/rtmp-ingest-settings.js';

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
  /** The address to listen on. Default 127.0.0.1; a bridge's address to be reached from network namespaces. */
  host?: string;
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
  routeNmsLogs(() => undefined);
  const sockets = new Set<net.Socket>();
  const receiver: RtmpReceiver = { port: 0, publishes: [], refused: 0, close: async () => undefined };
  // The origin's default bounds: a receiver takes what a real ingest takes.
  const connectionBounds = chunkBoundsOf(readRtmpIngestLimits({}));

  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveRtmpConnection(socket, {
      bounds: connectionBounds,
      onPublish: ({ app, name }) => {
        if (options.expectedKey !== undefined && name !== options.expectedKey) {
          receiver.refused += 1;
          if (options.refuseBy === 'close') {
            // NetStream.Publish.Start goes out first (written before the next turn), then the cut.
            setImmediate(() => socket.destroy());
            return { sink: () => undefined };
          }
          // As nginx and Wowza word it, with the name in it: the client must mask it.
          return { refuse: `Invalid stream key ${name}` };
        }
        const entry: ReceivedPublish = { app, name, tags: [], closed: false, disconnect: () => socket.destroy() };
        receiver.publishes.push(entry);
        socket.once('close', () => {
          entry.closed = true;
        });
        if (options.stallAfterPublish) {
          // Once the bytes already read are parsed: from then on the kernel buffers fill up.
          setImmediate(() => socket.pause());
        }
        return {
          sink: (tag) => {
            entry.tags.push({ type: tag.type, timestampMs: tag.timestampMs, body: tag.body.slice() });
          },
        };
      },
    });
  };

  const server = options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, accept) : net.createServer(accept);
  receiver.port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
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
