/**
 * The publishing side of an RTMP connection as a state machine over bytes: no sockets, no
 * timers. It sends what ffmpeg and OBS send (handshake, Set Chunk Size, connect, releaseStream,
 * FCPublish, createStream, publish), answers the server's pings and acknowledgement window,
 * and then turns FLV tag bodies into audio, video and data messages.
 */
import { randomBytes } from 'node:crypto';
import {
  TargetProtocolError,
  TargetRejectedError,
  TargetUnreachableError,
  maskSecret,
  type RestreamError,
} from './restream-errors.js';
import { ChunkReader } from './rtmp-chunk-reader.js';
import { ChunkWriter } from './rtmp-chunk-writer.js';
import { createC0C1, createC2, HANDSHAKE_PACKET_SIZE, SERVER_HANDSHAKE_SIZE } from './rtmp-handshake.js';
import {
  CS_AUDIO,
  CS_COMMAND,
  CS_CONTROL,
  CS_DATA,
  CS_STREAM_COMMAND,
  CS_VIDEO,
  decodeCommand,
  encodeCommand,
  MSG_ACKNOWLEDGEMENT,
  MSG_AUDIO,
  MSG_COMMAND_AMF0,
  MSG_COMMAND_AMF3,
  MSG_SET_CHUNK_SIZE,
  MSG_SET_PEER_BANDWIDTH,
  MSG_USER_CONTROL,
  MSG_VIDEO,
  MSG_WINDOW_ACK_SIZE,
  parseUserControl,
  statusInfo,
  uint32Payload,
  USER_CONTROL_PING_REQUEST,
  USER_CONTROL_PING_RESPONSE,
  userControlPayload,
  type RtmpCommand,
} from './rtmp-messages.js';

/** Our chunk size: big enough that most audio frames and many video frames fit one chunk. */
export const OUTGOING_CHUNK_SIZE = 4096;
/** What the connect command announces; ingest servers treat "FMLE" clients as encoders. */
export const FLASH_VERSION = 'FMLE/3.0 (compatible; livestack)';

const TXN_CONNECT = 1;
const TXN_RELEASE_STREAM = 2;
const TXN_FC_PUBLISH = 3;
const TXN_CREATE_STREAM = 4;
const TXN_PUBLISH = 5;
const TXN_FC_UNPUBLISH = 6;
const TXN_DELETE_STREAM = 7;

export type PublishPhase = 'handshake' | 'connect' | 'create-stream' | 'publish' | 'publishing' | 'closed';

export interface PublishProtocolEvents {
  /** Bytes for the connection, in order. */
  send(bytes: Uint8Array): void;
  /** The server answered connect: the publish step starts. */
  connected(): void;
  /** NetStream.Publish.Start: media may follow. */
  publishing(): void;
  /** The server refused us or broke the protocol; nothing more will be sent. */
  failed(error: RestreamError): void;
}

export interface PublishRequest {
  app: string;
  tcUrl: string;
  /** The stream key: masked in every error. */
  streamName: string;
}

export class RtmpPublishProtocol {
  private phaseNow: PublishPhase = 'handshake';
  private handshakeBytes: Uint8Array[] = [];
  private handshakeLength = 0;
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private streamId = 0;
  private received = 0;
  private acknowledged = 0;
  /** 0 until the server sets an acknowledgement window. */
  private windowAckSize = 0;
  private sentWindowAckSize = 0;

  constructor(
    private readonly request: PublishRequest,
    private readonly events: PublishProtocolEvents,
    private readonly clock: () => number = Date.now,
  ) {}

  get phase(): PublishPhase {
    return this.phaseNow;
  }

  /** Bytes of the server's that wait for the rest of a handshake, chunk or message. */
  get unfinishedInputBytes(): number {
    return this.phaseNow === 'handshake' ? this.handshakeLength : this.reader.heldBytes;
  }

  /** Sends C0+C1. */
  start(): void {
    this.events.send(createC0C1(this.clock(), randomBytes(HANDSHAKE_PACKET_SIZE - 8)));
  }

  /** Bytes from the server. */
  receive(data: Uint8Array): void {
    if (this.phaseNow === 'closed') return;
    try {
      this.received += data.length;
      if (this.phaseNow === 'handshake') {
        const rest = this.readHandshake(data);
        if (rest === undefined) return;
        data = rest;
      }
      for (const message of this.reader.read(data)) {
        this.handle(message.type, message.payload);
        if (this.phase === 'closed') return;
      }
      this.acknowledge();
    } catch (error) {
      this.fail(error instanceof TargetProtocolError ? error : new TargetProtocolError(`bad RTMP input: ${String(error)}`));
    }
  }

  /** An FLV tag body as an audio (8), video (9) or data (18) message of our stream. */
  sendMedia(type: number, timestampMs: number, body: Uint8Array): void {
    if (this.phaseNow !== 'publishing') return;
    const csid = type === MSG_AUDIO ? CS_AUDIO : type === MSG_VIDEO ? CS_VIDEO : CS_DATA;
    this.events.send(this.writer.encode({ csid, type, streamId: this.streamId, timestamp: timestampMs, payload: body }));
  }

  /** FCUnpublish and deleteStream, so the server ends the publish at once, not at a timeout. */
  unpublish(): void {
    if (this.phaseNow === 'publishing' || this.phaseNow === 'publish') {
      this.command(CS_COMMAND, 0, 'FCUnpublish', TXN_FC_UNPUBLISH, null, this.request.streamName);
      this.command(CS_COMMAND, 0, 'deleteStream', TXN_DELETE_STREAM, null, this.streamId);
    }
    this.phaseNow = 'closed';
  }

  /** The connection is gone: ignore whatever comes, send nothing. */
  abandon(): void {
    this.phaseNow = 'closed';
  }

  /** Everything after S0+S1+S2, or undefined while it is incomplete. */
  private readHandshake(data: Uint8Array): Uint8Array | undefined {
    this.handshakeBytes.push(data);
    this.handshakeLength += data.length;
    if (this.handshakeLength < SERVER_HANDSHAKE_SIZE) return undefined;
    const all = Buffer.concat(this.handshakeBytes);
    this.handshakeBytes = [];
    this.events.send(createC2(all));
    this.phaseNow = 'connect';
    this.control(MSG_SET_CHUNK_SIZE, uint32Payload(OUTGOING_CHUNK_SIZE));
    this.writer.chunkSize = OUTGOING_CHUNK_SIZE;
    this.command(CS_COMMAND, 0, 'connect', TXN_CONNECT, {
      app: this.request.app,
      type: 'nonprivate',
      flashVer: FLASH_VERSION,
      tcUrl: this.request.tcUrl,
    });
    return all.subarray(SERVER_HANDSHAKE_SIZE);
  }

  private handle(type: number, payload: Uint8Array): void {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    switch (type) {
      case MSG_WINDOW_ACK_SIZE:
        if (payload.length >= 4) this.windowAckSize = view.getUint32(0);
        return;
      case MSG_SET_PEER_BANDWIDTH:
        // The spec asks for a Window Acknowledgement Size back when the size is new to us.
        if (payload.length >= 4 && view.getUint32(0) !== this.sentWindowAckSize) {
          this.sentWindowAckSize = view.getUint32(0);
          this.control(MSG_WINDOW_ACK_SIZE, uint32Payload(this.sentWindowAckSize));
        }
        return;
      case MSG_USER_CONTROL: {
        const event = parseUserControl(payload);
        if (event?.event === USER_CONTROL_PING_REQUEST) {
          this.control(MSG_USER_CONTROL, userControlPayload(USER_CONTROL_PING_RESPONSE, event.value));
        }
        return;
      }
      case MSG_COMMAND_AMF0:
      case MSG_COMMAND_AMF3:
        this.onCommand(decodeCommand(type, payload));
        return;
      default:
        // Acknowledgements, bandwidth checks and data messages from the server need no answer.
        return;
    }
  }

  private onCommand(command: RtmpCommand): void {
    const info = statusInfo(command);
    const described = info ? this.describe(`${info.code}${info.description ? `: ${info.description}` : ''}`) : '';
    if (command.name === '_error') {
      // releaseStream and FCPublish of a stream that does not exist yet fail on some servers.
      if (command.transactionId === TXN_RELEASE_STREAM || command.transactionId === TXN_FC_PUBLISH) return;
      const step = command.transactionId === TXN_CONNECT ? 'connect' : command.transactionId === TXN_CREATE_STREAM ? 'createStream' : 'publish';
      this.fail(new TargetRejectedError(`the server refused ${step}${described ? ` (${described})` : ''}`, info?.code));
      return;
    }
    if (command.name === '_result') {
      if (command.transactionId === TXN_CONNECT && this.phaseNow === 'connect') this.onConnected();
      else if (command.transactionId === TXN_CREATE_STREAM && this.phaseNow === 'create-stream') this.onStreamCreated(command);
      return;
    }
    if (command.name === 'onStatus' && info) {
      if (info.level === 'error') {
        this.fail(new TargetRejectedError(`the server refused the publish (${described})`, info.code));
      } else if (info.code === 'NetStream.Publish.Start' && this.phaseNow === 'publish') {
        this.phaseNow = 'publishing';
        this.events.publishing();
      }
      return;
    }
    if (command.name === 'close') {
      this.fail(
        this.phaseNow === 'publishing'
          ? new TargetUnreachableError('the server closed the connection (close command)')
          : new TargetRejectedError('the server closed the connection before the publish started (close command)'),
      );
    }
  }

  private onConnected(): void {
    this.phaseNow = 'create-stream';
    this.events.connected();
    const key = this.request.streamName;
    this.command(CS_COMMAND, 0, 'releaseStream', TXN_RELEASE_STREAM, null, key);
    this.command(CS_COMMAND, 0, 'FCPublish', TXN_FC_PUBLISH, null, key);
    this.command(CS_COMMAND, 0, 'createStream', TXN_CREATE_STREAM, null);
  }

  private onStreamCreated(command: RtmpCommand): void {
    const id = command.args[0];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      this.fail(new TargetProtocolError('createStream answered without a stream id'));
      return;
    }
    this.streamId = id;
    this.phaseNow = 'publish';
    this.command(CS_STREAM_COMMAND, id, 'publish', TXN_PUBLISH, null, this.request.streamName, 'live');
  }

  private acknowledge(): void {
    if (this.windowAckSize === 0 || this.received - this.acknowledged < this.windowAckSize) return;
    this.acknowledged = this.received;
    this.control(MSG_ACKNOWLEDGEMENT, uint32Payload(this.received));
  }

  private control(type: number, payload: Uint8Array): void {
    this.events.send(this.writer.encode({ csid: CS_CONTROL, type, streamId: 0, timestamp: 0, payload }));
  }

  private command(csid: number, streamId: number, name: string, transactionId: number, ...rest: Parameters<typeof encodeCommand>[2][]): void {
    const [object = null, ...args] = rest;
    const payload = encodeCommand(name, transactionId, object, ...args);
    this.events.send(this.writer.encode({ csid, type: MSG_COMMAND_AMF0, streamId, timestamp: 0, payload }));
  }

  private describe(text: string): string {
    return maskSecret(text, this.request.streamName).slice(0, 300);
  }

  private fail(error: RestreamError): void {
    if (this.phaseNow === 'closed') return;
    this.phaseNow = 'closed';
    this.events.failed(error);
  }
}
