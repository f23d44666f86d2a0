/**
 * The listener's side of the caller-listener handshake (draft-sharabayko-srt §4.3.1), HSv5 only:
 *
 * 1. induction (caller, version 4) → induction answer with version 5, the SRT magic and a SYN cookie;
 * 2. conclusion (caller, version 5, the cookie back, HSREQ and SID extensions) → once the stream
 *    id is authorized, a conclusion answer with our socket id and HSRSP (the negotiated TSBPD
 *    latency: the larger of ours and the caller's), or a rejection.
 *
 * We send periodic NAKs but do not say so (no PERIODICNAK flag): a libsrt sender told we do turns
 * off its own blind retransmission, and then the last packets of a stream, if lost, are never
 * sent again (no later packet reveals the gap).
 *
 * Pure: the cookie check, the socket id and the authorization are the caller's business.
 */
import {
  EXTENSION_FLAG,
  EXTENSION_TYPE,
  HANDSHAKE_TYPE,
  REJECTION_TYPE_BASE,
  SRT_FLAG,
  SRT_MAGIC,
  parseSrtHandshakeInfo,
  parseStreamId,
  writeSrtHandshakeInfo,
  type Handshake,
} from './srt-handshake-packet.js';
import { SRT_REJECTION } from './srt-rejection.js';
import { SrtDecryptor } from './srt-decryptor.js';
import { SrtBadSecretError } from './srt-key-material.js';

/** The SRT version we answer with (1.5.0: the protocol as libsrt 1.5 speaks it). */
export const OUR_SRT_VERSION = 0x01_05_00;
const UDP_MTU = 1500;

export interface ListenerHandshakeSettings {
  /** Our TSBPD latency as a receiver. */
  latencyMs: number;
  /** Receive buffer size in packets: the flow window we grant. */
  flowWindowPackets: number;
  /** Set: callers must encrypt with it (AES-CTR); unset: callers must not encrypt. */
  passphrase?: string | undefined;
}

/** A conclusion the listener can accept, waiting for its stream id to be authorized. */
export interface ConclusionRequest {
  callerSocketId: number;
  initialSequence: number;
  streamId: string;
  /** The negotiated TSBPD latency: max(ours, what the caller asks of its receiver). */
  latencyMs: number;
  /** The latency we report back for the caller's own receiving side (we send nothing). */
  callerReceiverLatencyMs: number;
  mtu: number;
  flowWindow: number;
  /** An encrypting caller's key material (KMREQ, echoed as KMRSP), its encryption field and our decryptor. */
  encryption?: { keyMaterial: Uint8Array; field: number; decryptor: SrtDecryptor };
}

export type HandshakeStep =
  | { kind: 'answer'; handshake: Handshake }
  | { kind: 'conclusion'; request: ConclusionRequest }
  | { kind: 'ignore'; reason: string };

export interface HandshakeContext {
  /** A fresh cookie for this caller's address. */
  cookie: number;
  cookieIsValid(cookie: number): boolean;
  /** The caller's address as we see it, for the peer IP field. */
  peerIp: Uint8Array;
}

export function listenerHandshakeStep(request: Handshake, context: HandshakeContext, settings: ListenerHandshakeSettings): HandshakeStep {
  if (request.type === HANDSHAKE_TYPE.induction) {
    // HSv4 and HSv5 callers both start with version 4; the answer's version 5 and magic tell an
    // HSv5 caller it may go on with HSv5.
    return {
      kind: 'answer',
      handshake: {
        ...request,
        version: 5,
        encryption: 0,
        extensionField: SRT_MAGIC,
        synCookie: context.cookie,
        peerIp: context.peerIp,
        extensions: [],
      },
    };
  }
  if (request.type !== HANDSHAKE_TYPE.conclusion) return { kind: 'ignore', reason: `handshake type ${request.type} is not the caller's` };
  if (!context.cookieIsValid(request.synCookie)) return reject(request, SRT_REJECTION.rogue);
  if (request.version !== 5) return reject(request, SRT_REJECTION.version);
  const hsreq = request.extensions.find((extension) => extension.type === EXTENSION_TYPE.hsreq);
  if (!hsreq || (request.extensionField & EXTENSION_FLAG.hsreq) === 0) return reject(request, SRT_REJECTION.rogue);
  const info = parseSrtHandshakeInfo(hsreq.content);
  if ((info.flags & SRT_FLAG.stream) !== 0 || (info.flags & SRT_FLAG.tsbpdSend) === 0) return reject(request, SRT_REJECTION.messageApi);
  const kmreq = request.extensions.find((extension) => extension.type === EXTENSION_TYPE.kmreq);
  if ((kmreq !== undefined || request.encryption !== 0) !== (settings.passphrase !== undefined)) return reject(request, SRT_REJECTION.unsecure);
  let encryption: ConclusionRequest['encryption'];
  if (kmreq && settings.passphrase !== undefined) {
    try {
      encryption = { keyMaterial: kmreq.content, field: request.encryption, decryptor: new SrtDecryptor(settings.passphrase, kmreq.content) };
    } catch (error) {
      return reject(request, error instanceof SrtBadSecretError ? SRT_REJECTION.badSecret : SRT_REJECTION.rogue);
    }
  }
  const sid = request.extensions.find((extension) => extension.type === EXTENSION_TYPE.sid);
  return {
    kind: 'conclusion',
    request: {
      callerSocketId: request.socketId,
      initialSequence: request.initialSequence,
      streamId: sid ? parseStreamId(sid.content) : '',
      latencyMs: Math.max(settings.latencyMs, info.senderLatencyMs),
      callerReceiverLatencyMs: info.receiverLatencyMs,
      mtu: Math.min(request.mtu, UDP_MTU),
      flowWindow: Math.min(request.flowWindow, settings.flowWindowPackets),
      ...(encryption ? { encryption } : {}),
    },
  };
}

/** Our conclusion answer: the caller is connected once it has it. */
export function acceptConclusion(request: ConclusionRequest, listenerSocketId: number, peerIp: Uint8Array): Handshake {
  return {
    version: 5,
    encryption: request.encryption?.field ?? 0,
    extensionField: EXTENSION_FLAG.hsreq | (request.encryption ? EXTENSION_FLAG.kmreq : 0),
    initialSequence: request.initialSequence,
    mtu: request.mtu,
    flowWindow: request.flowWindow,
    type: HANDSHAKE_TYPE.conclusion,
    socketId: listenerSocketId,
    synCookie: 0,
    peerIp,
    extensions: [
      {
        type: EXTENSION_TYPE.hsrsp,
        content: writeSrtHandshakeInfo({
          srtVersion: OUR_SRT_VERSION,
          flags:
            SRT_FLAG.tsbpdSend | SRT_FLAG.tsbpdReceive | SRT_FLAG.crypt | SRT_FLAG.tooLatePacketDrop | SRT_FLAG.retransmitFlag,
          receiverLatencyMs: request.latencyMs,
          senderLatencyMs: request.callerReceiverLatencyMs,
        }),
      },
      // Our key material answer: the caller's own, which we could unwrap.
      ...(request.encryption ? [{ type: EXTENSION_TYPE.kmrsp, content: request.encryption.keyMaterial }] : []),
    ],
  };
}

/** A rejection answer to `request`; `reason` is one of SRT_REJECTION. */
export function rejectionAnswer(request: Handshake, reason: number): Handshake {
  return { ...request, version: 5, type: REJECTION_TYPE_BASE + reason, synCookie: 0, extensions: [] };
}

function reject(request: Handshake, reason: number): HandshakeStep {
  return { kind: 'answer', handshake: rejectionAnswer(request, reason) };
}
