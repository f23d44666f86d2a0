/**
 * The only module that touches node-media-server (NMS, version pinned in origin/package.json);
 * the origin's listener, test-support's RTMP receiver, the benchmarks' relay and the tests that
 * check our RTMP client against NMS all go through it.
 *
 * For ingest we use NMS's RTMP protocol code (handshake, chunk parser, AMF0, command answers) and
 * nothing of its sessions, broadcasts or global context. NMS has no bounds of its own, so they are
 * enforced here on its parser's own state, where they cannot drift from what it really holds:
 * - chunk streams: NMS keeps a packet (and its buffer) per chunk stream id for the connection's
 *   life, so the number of ids is capped;
 * - a message: NMS allocates the length a chunk header declares before any of it arrives, so the
 *   length is checked first (commands and control messages much lower than media);
 * - all chunk streams of a connection, and of all connections together (`ChunkStateBudget`);
 * - Set Chunk Size outside 128..2^31-1 (0 makes NMS swallow the stream without parsing it, and
 *   tiny chunks multiply its work per byte);
 * - media or data (anything but control and commands) before `publish`: NMS would keep it in a
 *   placeholder broadcast's GOP cache with no bound, so the connection is closed at its header;
 * - answers a client does not read: NMS writes without looking at backpressure.
 * A breach closes the connection: what the client sent is garbage or an attack, not an encoder.
 */
import { createRequire } from 'node:module';
import type net from 'node:net';
import type { ChunkStateBudget } from './chunk-state-budget.js';
import type { FlvTagSink } from './flv-tag-source.js';
import { newPublishSessionId } from './publish-session-id.js';

const require = createRequire(import.meta.url);

interface NmsPacket {
  codec_type: number;
  dts: number;
  size: number;
  data: Buffer;
}

interface NmsChunkPacket {
  header: { length: number; type: number; stream_id: number };
  payload: Buffer;
  capacity: number;
}

interface NmsInvoke {
  streamName?: unknown;
}

/** node-media-server/src/protocol/rtmp.js: the methods we wrap are prototype methods. */
interface NmsRtmp {
  handshakePayload: Buffer;
  parserBuffer: Buffer;
  parserPacket: NmsChunkPacket;
  inPackets: Map<number, NmsChunkPacket>;
  connectCmdObj?: unknown;
  streamApp?: unknown;
  flv?: unknown;
  onOutputCallback: (buffer: Buffer) => void;
  onPacketCallback: (packet: NmsPacket) => void;
  parserData(data: Buffer): string | null;
  packetParse(): void;
  packetAlloc(): void;
  packetHandler(): void;
  controlHandler(): void;
  onPublish(invoke: NmsInvoke): void;
  onPlay(invoke: NmsInvoke): void;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
}

const NmsRtmpProtocol = require('node-media-server/src/protocol/rtmp.js') as new () => NmsRtmp;
const nmsProtocol = NmsRtmpProtocol.prototype;

/**
 * NMS's constructor also makes an FLV file parser holding a 1 MiB buffer that RTMP never uses:
 * a flood of connections would churn GBs through the allocator. So each connection's parser is a
 * copy of one made at start-up with fresh buffers of its own, as the constructor would set it up;
 * a version of NMS with other parser state stops the origin at start, before it takes anyone in.
 */
const nmsTemplate = new NmsRtmpProtocol();
const NMS_PARSER_STATE = [
  'onConnectCallback', 'onPlayCallback', 'onPushCallback', 'onPacketCallback', 'onOutputCallback',
  'handshakePayload', 'handshakeState', 'handshakeBytes', 'parserBuffer', 'parserState', 'parserBytes',
  'parserBasicBytes', 'parserPacket', 'inPackets', 'inChunkSize', 'outChunkSize', 'streams', 'flv',
];
if (Object.keys(nmsTemplate).join() !== NMS_PARSER_STATE.join()) {
  throw new Error(`node-media-server's RTMP parser state changed (${Object.keys(nmsTemplate).join()}): review origin/src/ingest/nms-rtmp-connection.ts`);
}
const NmsChunkPacketClass = nmsTemplate.parserPacket.constructor as new () => NmsChunkPacket;

function newNmsRtmp(): NmsRtmp {
  const rtmp = Object.create(nmsProtocol) as NmsRtmp;
  return Object.assign(rtmp, nmsTemplate, {
    handshakePayload: Buffer.alloc(nmsTemplate.handshakePayload.length),
    parserBuffer: Buffer.alloc(nmsTemplate.parserBuffer.length),
    parserPacket: new NmsChunkPacketClass(),
    inPackets: new Map(),
    flv: undefined,
  });
}
const nmsLogger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };

/** NMS allocates this much more than a message's length, and keeps it. */
const NMS_PACKET_SLACK = 1024;
/**
 * A chunk stream's buffer larger than this is let go once its message was handed on: NMS would
 * keep it for the connection's life, as large as the largest message so far (a keyframe, 100 to
 * 300 KB at 720p), in every publisher's connection. The next message that needs more allocates
 * again: at most once per keyframe, while inter frames (a few KB to tens of KB) fit a smaller one.
 */
const KEPT_PACKET_BUFFER_BYTES = 64 * 1024;
/**
 * Chunk sizes a client may set: from the protocol's default (smaller ones only multiply the
 * parser's work per byte; SRS refuses them too) to the spec's largest (31 bits).
 */
const MIN_CHUNK_SIZE = 128;
const MAX_CHUNK_SIZE = 0x7fffffff;
const MSG_SET_CHUNK_SIZE = 1;
/** Control (1-6) and command (17, 20) messages are a few hundred bytes from any real client. */
const MAX_COMMAND_BYTES = 64 * 1024;
/** Control (1-6) and commands (AMF3 17, AMF0 20): all a client has to say before `publish`. */
const COMMAND_TYPES = new Set([1, 2, 3, 4, 5, 6, 17, 20]);
/** Our answers (handshake, connect result, statuses) are a few KB; a client that leaves more unread is not reading. */
const MAX_UNREAD_ANSWER_BYTES = 64 * 1024;

export interface RtmpChunkBounds {
  /** Chunk stream ids one connection may use. */
  maxChunkStreams: number;
  /** Largest message (a media frame) a connection may send. */
  maxMessageBytes: number;
  /** Chunk-stream state one connection may hold: its partly received messages and their buffers. */
  maxChunkStateBytes: number;
  /** The same for every connection together. */
  total: ChunkStateBudget;
}

export interface RtmpPublishRequest {
  app: string;
  /** The stream name as sent, without its query string: a stream key, treat as secret. */
  name: string;
}

/** Accept with the sink for the publish's media, or refuse with a NetStream.Publish.BadName description. */
export type RtmpPublishAnswer = { sink: FlvTagSink } | { refuse: string };

export interface RtmpConnectionOptions {
  bounds: RtmpChunkBounds;
  /** The client's `publish` command; only one per connection. */
  onPublish(request: RtmpPublishRequest): RtmpPublishAnswer;
  /** The connection is being closed for what the client sent; `reason` never quotes its names. */
  onRejected?(reason: string): void;
}

export interface RtmpConnection {
  /** A random id, for logs and the API's publish leases. */
  readonly id: string;
}

/** What a client sent breaks a bound or the protocol: the connection is closed. */
class RtmpRejection extends Error {}

/** Serves one RTMP connection (plain or TLS) until it closes; reading starts at once. */
export function serveRtmpConnection(socket: net.Socket, options: RtmpConnectionOptions): RtmpConnection {
  const id = newPublishSessionId();
  const { bounds } = options;
  const rtmp = newNmsRtmp();
  let held = 0;
  let sink: FlvTagSink | undefined;
  let requestedName: string | undefined;
  let done = false;

  /** Counts `bytes` more of chunk-stream state against both budgets. */
  const hold = (bytes: number) => {
    if (held + bytes > bounds.maxChunkStateBytes) {
      throw new RtmpRejection(`its chunk streams would hold ${held + bytes} bytes, more than RTMP_MAX_CHUNK_STATE_BYTES (${bounds.maxChunkStateBytes})`);
    }
    if (!bounds.total.tryTake(bytes)) {
      throw new RtmpRejection(`all connections' chunk streams would hold more than RTMP_MAX_TOTAL_CHUNK_STATE_BYTES (${bounds.total.limitBytes})`);
    }
    held += bytes;
  };

  rtmp.packetParse = function packetParse(this: NmsRtmp) {
    nmsProtocol.packetParse.call(this);
    if (this.inPackets.size > bounds.maxChunkStreams) {
      throw new RtmpRejection(`more than RTMP_MAX_CHUNK_STREAMS (${bounds.maxChunkStreams}) chunk streams`);
    }
  };
  rtmp.packetAlloc = function packetAlloc(this: NmsRtmp) {
    const packet = this.parserPacket;
    const { length, type } = packet.header;
    // Refused at its header, before NMS allocates anything for it.
    if (!sink && !COMMAND_TYPES.has(type)) throw new RtmpRejection(`media before publish (message type ${type})`);
    if (packet.capacity < length) {
      if (COMMAND_TYPES.has(type) && length > MAX_COMMAND_BYTES) {
        throw new RtmpRejection(`a ${length}-byte control or command message (type ${type})`);
      }
      if (length > bounds.maxMessageBytes) {
        throw new RtmpRejection(`a ${length}-byte message, more than RTMP_MAX_MESSAGE_BYTES (${bounds.maxMessageBytes})`);
      }
      // NMS replaces the packet's buffer with one of length + slack.
      hold(length + NMS_PACKET_SLACK - packet.capacity);
    }
    nmsProtocol.packetAlloc.call(this);
  };
  rtmp.packetHandler = function packetHandler(this: NmsRtmp) {
    nmsProtocol.packetHandler.call(this);
    // The message went to the sink synchronously (which keeps nothing of it past the call).
    const packet = this.parserPacket;
    if (packet.capacity <= KEPT_PACKET_BUFFER_BYTES) return;
    held -= packet.capacity;
    bounds.total.give(packet.capacity);
    packet.payload = Buffer.alloc(0);
    packet.capacity = 0;
  };
  rtmp.controlHandler = function controlHandler(this: NmsRtmp) {
    const { header, payload } = this.parserPacket;
    if (header.type === MSG_SET_CHUNK_SIZE) {
      const size = header.length >= 4 ? payload.readUInt32BE(0) : 0;
      if (size < MIN_CHUNK_SIZE || size > MAX_CHUNK_SIZE) throw new RtmpRejection(`Set Chunk Size ${size}`);
    }
    nmsProtocol.controlHandler.call(this);
  };
  rtmp.onPublish = function onPublish(this: NmsRtmp, invoke: NmsInvoke) {
    if (requestedName !== undefined) throw new RtmpRejection('a second publish on one connection');
    if (this.connectCmdObj === undefined || typeof this.streamApp !== 'string') throw new RtmpRejection('publish before connect');
    if (typeof invoke.streamName !== 'string') throw new RtmpRejection('publish without a stream name');
    requestedName = invoke.streamName.split('?')[0] ?? '';
    openNames.add(requestedName);
    const answer = options.onPublish({ app: this.streamApp, name: requestedName });
    if ('refuse' in answer) {
      this.sendStatusMessage(this.parserPacket.header.stream_id, 'error', 'NetStream.Publish.BadName', answer.refuse);
      done = true;
      socket.end();
      return;
    }
    sink = answer.sink;
    // Sends NetStream.Publish.Start; its callbacks are NMS's no-op defaults.
    nmsProtocol.onPublish.call(this, invoke);
  };
  rtmp.onPlay = () => {
    throw new RtmpRejection('play (this server only takes publishers)');
  };
  rtmp.onOutputCallback = (buffer) => {
    if (socket.writableLength + buffer.length > MAX_UNREAD_ANSWER_BYTES) {
      throw new RtmpRejection(`more than ${MAX_UNREAD_ANSWER_BYTES} bytes of answers left unread`);
    }
    socket.write(buffer);
  };
  rtmp.onPacketCallback = (packet) => {
    // NMS takes a new type (and length) from a header in the middle of a message: a command
    // allowed before publish can end up as media.
    if (!sink) throw new RtmpRejection('media before publish');
    if (packet.size > packet.data.length) throw new RtmpRejection('a message longer than its own header said');
    // A plain Uint8Array view, so that a consumer's `.slice()` copies (Buffer#slice would not).
    sink({ type: packet.codec_type, timestampMs: packet.dts, body: new Uint8Array(packet.data.buffer, packet.data.byteOffset, packet.size) });
  };

  let released = false;
  const release = () => {
    done = true;
    if (released) return;
    released = true;
    bounds.total.give(held);
    held = 0;
    rtmp.inPackets.clear();
    if (requestedName !== undefined) openNames.delete(requestedName);
    sink = undefined;
  };
  socket.on('data', (data: Buffer) => {
    if (done) return;
    try {
      const error = rtmp.parserData(data);
      if (error !== null) throw new RtmpRejection(error);
    } catch (error) {
      if (done) return;
      const reason = error instanceof RtmpRejection ? error.message : `malformed RTMP input (${(error as Error).message})`;
      release();
      options.onRejected?.(reason);
      socket.destroy();
    }
  });
  // Errors (resets) end in 'close' like any other end.
  socket.on('error', () => undefined);
  socket.once('close', release);
  return { id };
}

/**
 * Names publishers asked for on open connections: a message of NMS naming one of them has it
 * masked, whatever the wording. Names can repeat across connections, hence counts.
 */
const openNames = {
  counts: new Map<string, number>(),
  add(name: string) {
    if (name !== '') this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  },
  delete(name: string) {
    const count = (this.counts.get(name) ?? 0) - 1;
    if (count > 0) this.counts.set(name, count);
    else this.counts.delete(name);
  },
};

/** NMS messages may quote what a client sent (stream paths, names): mask it. */
export function redactNmsMessage(message: string): string {
  let text = message;
  for (const name of openNames.counts.keys()) text = text.split(name).join('***');
  return text
    .replace(/\bname=[^,]*/g, 'name=***')
    .replace(/(\/[A-Za-z0-9_-]+\/)[^\s,]+/g, '$1***');
}

/** NMS logs through a module-wide logger of its own: send its lines to `log` (debug level at most), masked. */
export function routeNmsLogs(log: (message: string) => void): void {
  nmsLogger.log = (message: unknown) => log(redactNmsMessage(String(message)));
}

// --- The benchmarks' relay: plain NMS sessions (publish relayed to players), as NMS serves them.

const NmsRtmpSession = require('node-media-server/src/session/rtmp_session.js') as new (socket: net.Socket) => { run(): void };
const nmsContext = require('node-media-server/src/core/context.js') as {
  broadcasts: Map<string, { publisher: { inBytes?: number } | null }>;
};

export interface RelayedStream {
  name: string;
  /** Bytes taken in from the publisher so far. */
  bytesIn: number;
  publishing: boolean;
}

/** Serves one connection as a stock NMS RTMP server would: a publish is relayed to its players. For benchmarks only: no bounds. */
export function serveNmsRelayConnection(socket: net.Socket): void {
  socket.on('error', () => undefined);
  new NmsRtmpSession(socket).run();
}

/** The streams published on relay connections of this process. */
export function nmsRelayedStreams(): RelayedStream[] {
  return [...nmsContext.broadcasts].map(([streamPath, broadcast]) => ({
    name: streamPath.split('/').at(-1) ?? '',
    bytesIn: broadcast.publisher?.inBytes ?? 0,
    publishing: broadcast.publisher !== null,
  }));
}

// --- For tests that check our own RTMP client and AMF0 code against NMS's, in memory: its AMF0
// codec and its server protocol class as they are (the tests type what they use).

export const nmsReference: { amf0: unknown; RtmpServerProtocol: unknown } = {
  amf0: require('node-media-server/src/protocol/amf.js'),
  RtmpServerProtocol: NmsRtmpProtocol,
};
