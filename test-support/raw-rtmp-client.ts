/**
 * A bare RTMP client for tests that play a misbehaving publisher: after the handshake it sends
 * exactly the messages (or bytes) a test asks for, in that order, without waiting for answers. It
 * reuses the restream client's protocol code (handshake, chunk writer, AMF0 commands) and reads
 * nothing of what the server says after the handshake.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ChunkWriter, type RtmpMessage } from '../origin/src/restream/rtmp-chunk-writer.js';
import { createC0C1, createC2, HANDSHAKE_PACKET_SIZE, SERVER_HANDSHAKE_SIZE } from '../origin/src/restream/rtmp-handshake.js';
import {
  CS_COMMAND,
  CS_CONTROL,
  CS_STREAM_COMMAND,
  CS_VIDEO,
  encodeCommand,
  MSG_COMMAND_AMF0,
  MSG_SET_CHUNK_SIZE,
  MSG_VIDEO,
  uint32Payload,
} from '../origin/src/restream/rtmp-messages.js';

/** The message stream NMS hands out for a connection's first createStream. */
const FIRST_STREAM_ID = 1;

export class RawRtmpClient {
  readonly writer = new ChunkWriter();
  /** Resolves once the connection is closed, by either side. */
  readonly closed: Promise<void>;
  private closedNow = false;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedNow = true;
        resolve();
      }),
    );
  }

  get isClosed(): boolean {
    return this.closedNow;
  }

  /** A TCP connection to `port`, nothing sent yet; `localAddress` picks the client address (any 127.x.y.z works on Linux). */
  static async open(port: number, { host = '127.0.0.1', localAddress }: { host?: string; localAddress?: string } = {}): Promise<RawRtmpClient> {
    const socket = net.connect({ port, host, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawRtmpClient(socket);
  }

  /** Opens a connection and completes the RTMP handshake. */
  static async connect(port: number, options: { host?: string; localAddress?: string } = {}): Promise<RawRtmpClient> {
    const client = await RawRtmpClient.open(port, options);
    await client.handshake();
    return client;
  }

  /** C0+C1, then S0+S1+S2 read, then C2; everything the server sends afterwards is read and dropped. */
  async handshake(): Promise<void> {
    const received: Buffer[] = [];
    let length = 0;
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const onData = (data: Buffer) => {
        received.push(data);
        length += data.length;
        if (length < SERVER_HANDSHAKE_SIZE) return;
        this.socket.off('data', onData);
        this.socket.resume();
        this.socket.on('data', () => undefined);
        resolve(Buffer.concat(received));
      };
      this.socket.on('data', onData);
      this.socket.once('close', () => reject(new Error('the server closed the connection during the handshake')));
    });
    await this.sendBytes(createC0C1(Date.now(), randomBytes(HANDSHAKE_PACKET_SIZE - 8)));
    await this.sendBytes(createC2(await answer));
  }

  /** Resolves true once the bytes are handed to the kernel, false if the connection closed first. */
  sendBytes(bytes: Uint8Array): Promise<boolean> {
    if (this.closedNow) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(bytes, (error) => resolve(!error));
    });
  }

  send(message: RtmpMessage): Promise<boolean> {
    return this.sendBytes(this.writer.encode(message));
  }

  command(name: string, transactionId: number, object: Parameters<typeof encodeCommand>[2], ...args: Parameters<typeof encodeCommand>[2][]): Promise<boolean> {
    const streamId = name === 'publish' ? FIRST_STREAM_ID : 0;
    const csid = name === 'publish' ? CS_STREAM_COMMAND : CS_COMMAND;
    return this.send({ csid, type: MSG_COMMAND_AMF0, streamId, timestamp: 0, payload: encodeCommand(name, transactionId, object, ...args) });
  }

  /** `connect` to `app`, as ffmpeg words it. */
  connectApp(app: string): Promise<boolean> {
    const port = this.socket.remotePort ?? 1935;
    return this.command('connect', 1, { app, type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; test)', tcUrl: `rtmp://127.0.0.1:${port}/${app}` });
  }

  /** createStream, then publish `name` on the stream it makes. */
  async publish(name: string): Promise<boolean> {
    await this.command('createStream', 2, null);
    return this.command('publish', 3, null, name, 'live');
  }

  /** Set Chunk Size, then our chunks are that big. */
  async setChunkSize(size: number): Promise<boolean> {
    const sent = await this.send({ csid: CS_CONTROL, type: MSG_SET_CHUNK_SIZE, streamId: 0, timestamp: 0, payload: uint32Payload(size) });
    this.writer.chunkSize = size;
    return sent;
  }

  /**
   * Only the first chunk of a video message declared `length` bytes long, on chunk stream `csid`
   * (2..63): the server holds the message open, waiting for the rest.
   */
  startMessage(csid: number, length: number): Promise<boolean> {
    const first = Math.min(length, this.writer.chunkSize);
    const chunk = new Uint8Array(12 + first);
    const view = new DataView(chunk.buffer);
    // Basic header: fmt 0, chunk stream id; timestamp 0 (24 bits), message length (24 bits), type, stream id (32 bits LE).
    chunk[0] = csid;
    view.setUint32(4, length * 256 + MSG_VIDEO);
    view.setUint32(8, FIRST_STREAM_ID, true);
    chunk.set([0x27, 1, 0, 0, 0].slice(0, first), 12);
    return this.sendBytes(chunk);
  }

  /** A video message of `size` bytes: an AVC frame header (keyframe or not), then filler. */
  sendVideo(timestampMs: number, size: number, { keyframe = false } = {}): Promise<boolean> {
    const payload = new Uint8Array(size);
    // FrameType (4 bits) and CodecID 7 (AVC), AVCPacketType 1 (NALU), composition time 0.
    payload.set([keyframe ? 0x17 : 0x27, 1, 0, 0, 0]);
    return this.send({ csid: CS_VIDEO, type: MSG_VIDEO, streamId: FIRST_STREAM_ID, timestamp: timestampMs, payload });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
