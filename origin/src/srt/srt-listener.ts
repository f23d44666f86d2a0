/**
 * The SRT listener: one UDP socket, many callers told apart by our socket id (data and control
 * after the handshake) or by address and their socket id (handshakes). Protocol decisions are the
 * pure modules' (srt-listener-handshake, srt-receiver-session); this file owns the socket, the
 * clock, the one timer that ticks every connection, and the bounds: SRT_MAX_CONNECTIONS callers
 * (authorizing or connected), each with a receive buffer of `receiveBufferPackets`.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Logger } from '../../../service-kit/src/logger.js';
import { CONTROL_TYPE, parseSrtPacket, writeControlPacket, type SrtPacket } from './srt-packet.js';
import { parseHandshake, writeHandshake, type Handshake } from './srt-handshake-packet.js';
import { acceptConclusion, listenerHandshakeStep, rejectionAnswer, type ConclusionRequest } from './srt-listener-handshake.js';
import { SRT_REJECTION } from './srt-rejection.js';
import { SynCookies } from './srt-syn-cookie.js';
import { ACK_INTERVAL_MS, SrtReceiverSession, type SessionOutput } from './srt-receiver-session.js';
import { SrtConnection, type SrtConnectionEnd } from './srt-connection.js';

/** The authorize hook's answer; an accepted caller's `grant` is handed to onConnection with it. */
export type SrtAuthorization<Grant> = { accept: true; grant: Grant } | { accept: false; code: number };

export interface SrtListenerOptions<Grant> {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Our TSBPD latency; a caller asking more gets more. */
  latencyMs: number;
  /** Packets a connection holds past its first missing one (about 1.3 kB each). */
  receiveBufferPackets: number;
  /** The UDP socket's kernel receive buffer (SO_RCVBUF). */
  udpReceiveBufferBytes: number;
  /** A caller that sends nothing this long is dropped. */
  idleTimeoutMs: number;
  /** Callers authorizing or connected at once; more are refused (SRT_REJ_RESOURCE). */
  maxConnections: number;
  /** Set: callers must encrypt with this passphrase (SRT_REJ_BADSECRET otherwise); unset: they must not. */
  passphrase?: string | undefined;
  /** Decides during the conclusion handshake; a refusal's code goes to the caller. */
  authorize(streamId: string, remoteAddress: string): Promise<SrtAuthorization<Grant>>;
  /**
   * Every accepted caller, with what authorize granted it; attach to it at once (its first
   * payloads follow). Accepted while the listener closed: it comes already ended, so the grant
   * is released all the same.
   */
  onConnection(connection: SrtConnection, grant: Grant): void;
  logger: Logger;
}

interface Caller {
  session: SrtReceiverSession;
  connection: SrtConnection;
  address: string;
  port: number;
  peerKey: string;
  /** Our conclusion answer, sent again when the caller repeats its conclusion (ours was lost). */
  answer: Uint8Array;
}

export class SrtListener<Grant> {
  private readonly socket: dgram.Socket;
  private readonly cookies = new SynCookies();
  private readonly callers = new Map<number, Caller>();
  private readonly callersByPeer = new Map<string, Caller>();
  private readonly authorizing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private accepting = true;
  private closed = false;

  constructor(private readonly options: SrtListenerOptions<Grant>) {
    this.socket = dgram.createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    this.socket.on('message', (message, remote) => this.receive(message, remote.address, remote.port));
    this.socket.on('error', (error) => options.logger.error({ err: error }, 'SRT socket error'));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.options.port, this.options.host, () => {
        this.socket.off('error', reject);
        // A burst (a keyframe, retransmissions) must not overflow the kernel's default ~200 kB
        // while the event loop is busy; Linux caps this at net.core.rmem_max.
        this.socket.setRecvBufferSize(this.options.udpReceiveBufferBytes);
        resolve();
      });
    });
    return this.socket.address().port;
  }

  get connections(): number {
    return this.callers.size;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.closed = true;
    for (const caller of [...this.callers.values()]) this.end(caller, 'listener_closed', caller.session.shutdown(Date.now()));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private receive(message: Buffer, address: string, port: number): void {
    let packet: SrtPacket;
    try {
      packet = parseSrtPacket(message);
    } catch {
      return;
    }
    if (packet.kind === 'control' && packet.controlType === CONTROL_TYPE.handshake) {
      this.handshake(packet.cif, address, port);
      return;
    }
    const caller = this.callers.get(packet.destinationSocketId);
    if (!caller || caller.address !== address || caller.port !== port) return;
    this.apply(caller, caller.session.handle(packet, Date.now()));
  }

  private handshake(cif: Uint8Array, address: string, port: number): void {
    let request: Handshake;
    try {
      request = parseHandshake(cif);
    } catch {
      return;
    }
    const peerKey = `${address}|${port}|${request.socketId}`;
    const known = this.callersByPeer.get(peerKey);
    if (known) {
      this.send(known.answer, address, port);
      return;
    }
    if (this.authorizing.has(peerKey)) return;
    const nowMs = Date.now();
    const cookieAddress = `${address}|${port}`;
    const peerIp = peerIpField(address);
    let step;
    try {
      step = listenerHandshakeStep(
        request,
        {
          cookie: this.cookies.make(cookieAddress, nowMs),
          cookieIsValid: (cookie) => this.cookies.verify(cookie, cookieAddress, nowMs),
          peerIp,
        },
        { latencyMs: this.options.latencyMs, flowWindowPackets: this.options.receiveBufferPackets, passphrase: this.options.passphrase },
      );
    } catch {
      return this.sendHandshake(rejectionAnswer(request, SRT_REJECTION.rogue), address, port);
    }
    if (step.kind === 'ignore') return;
    if (step.kind === 'answer') return this.sendHandshake(step.handshake, address, port);
    if (!this.accepting) return this.sendHandshake(rejectionAnswer(request, SRT_REJECTION.close), address, port);
    if (this.callers.size + this.authorizing.size >= this.options.maxConnections) {
      this.options.logger.warn({ addr: address, maxConnections: this.options.maxConnections }, 'SRT caller refused: too many connections');
      return this.sendHandshake(rejectionAnswer(request, SRT_REJECTION.resource), address, port);
    }
    this.authorizing.add(peerKey);
    void this.options
      .authorize(step.request.streamId, address)
      .catch((error: unknown): SrtAuthorization<Grant> => {
        this.options.logger.error({ err: error, addr: address }, 'SRT authorization failed');
        return { accept: false, code: SRT_REJECTION.overload };
      })
      .then((decision) => {
        this.authorizing.delete(peerKey);
        if (!decision.accept) {
          if (!this.closed) this.sendHandshake(rejectionAnswer(request, decision.code), address, port);
          return;
        }
        this.connect(step.request, address, port, peerKey, peerIp, decision.grant);
      });
  }

  private connect(request: ConclusionRequest, address: string, port: number, peerKey: string, peerIp: Uint8Array, grant: Grant): void {
    let socketId = randomInt(1, 2 ** 30);
    while (this.callers.has(socketId)) socketId = randomInt(1, 2 ** 30);
    const session = new SrtReceiverSession({
      localSocketId: socketId,
      peerSocketId: request.callerSocketId,
      initialSequence: request.initialSequence,
      latencyMs: request.latencyMs,
      capacityPackets: this.options.receiveBufferPackets,
      idleTimeoutMs: this.options.idleTimeoutMs,
      startMs: Date.now(),
      decryptor: request.encryption?.decryptor,
    });
    const answer = this.handshakePacket(acceptConclusion(request, socketId, peerIp), request.callerSocketId);
    const connection = new SrtConnection(
      socketId,
      request.streamId,
      address,
      port,
      request.latencyMs,
      (closing) => {
        const caller = this.callers.get(closing.socketId);
        if (caller) this.end(caller, 'closed', caller.session.shutdown(Date.now()));
      },
      () => session.stats,
    );
    if (this.closed) {
      connection.ended('listener_closed');
      this.options.onConnection(connection, grant);
      return;
    }
    const caller: Caller = { session, connection, address, port, peerKey, answer };
    this.callers.set(socketId, caller);
    this.callersByPeer.set(peerKey, caller);
    this.send(answer, address, port);
    this.timer ??= setInterval(() => this.tick(), ACK_INTERVAL_MS);
    this.options.onConnection(connection, grant);
  }

  private tick(): void {
    const nowMs = Date.now();
    for (const caller of [...this.callers.values()]) this.apply(caller, caller.session.tick(nowMs));
  }

  private apply(caller: Caller, output: SessionOutput): void {
    for (const packet of output.send) this.send(packet, caller.address, caller.port);
    for (const payload of output.payloads) caller.connection.deliver(payload);
    if (output.ended) this.end(caller, output.ended);
  }

  private end(caller: Caller, reason: SrtConnectionEnd, shutdown?: Uint8Array): void {
    if (this.callers.get(caller.connection.socketId) !== caller) return;
    if (shutdown) this.send(shutdown, caller.address, caller.port);
    this.callers.delete(caller.connection.socketId);
    this.callersByPeer.delete(caller.peerKey);
    if (this.callers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    caller.connection.ended(reason);
  }

  private sendHandshake(handshake: Handshake, address: string, port: number): void {
    this.send(this.handshakePacket(handshake, handshake.socketId), address, port);
  }

  private handshakePacket(handshake: Handshake, destinationSocketId: number): Uint8Array {
    return writeControlPacket({ controlType: CONTROL_TYPE.handshake, subtype: 0, typeInfo: 0, timestampUs: 0, destinationSocketId, cif: writeHandshake(handshake) });
  }

  private send(packet: Uint8Array, address: string, port: number): void {
    this.socket.send(packet, port, address, (error) => {
      if (error) this.options.logger.debug({ err: error }, 'SRT send failed');
    });
  }
}

/** The handshake's peer IP field as libsrt writes an IPv4 address: its 4 bytes reversed, then zeros. */
function peerIpField(address: string): Uint8Array {
  const field = new Uint8Array(16);
  if (isIPv4(address)) field.set(address.split('.').map(Number).reverse());
  return field;
}
