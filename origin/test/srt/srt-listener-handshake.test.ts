/** The listener's handshake steps: induction, cookie, HSv5 conclusion, latency negotiation, refusals. */
import t from 'tap';
import {
  EXTENSION_FLAG,
  EXTENSION_TYPE,
  HANDSHAKE_TYPE,
  REJECTION_TYPE_BASE,
  SRT_FLAG,
  SRT_MAGIC,
  parseSrtHandshakeInfo,
  writeSrtHandshakeInfo,
  writeStreamId,
  type Handshake,
} from '../../src/srt/srt-handshake-packet.js';
import { acceptConclusion, listenerHandshakeStep, rejectionAnswer } from '../../src/srt/srt-listener-handshake.js';
import { SRT_REJECTION } from '../../src/srt/srt-rejection.js';
import { KEY_FLAG, writeKeyMaterial } from '../../src/srt/srt-key-material.js';

const PEER_IP = new Uint8Array(16);
const CONTEXT = { cookie: 0xc00c1e, cookieIsValid: (cookie: number) => cookie === 0xc00c1e, peerIp: PEER_IP };
const SETTINGS = { latencyMs: 120, flowWindowPackets: 8192 };
const LIVE_FLAGS = SRT_FLAG.tsbpdSend | SRT_FLAG.tsbpdReceive | SRT_FLAG.tooLatePacketDrop | SRT_FLAG.periodicNak | SRT_FLAG.retransmitFlag;

function callerHandshake(overrides: Partial<Handshake> = {}): Handshake {
  return {
    version: 4,
    encryption: 0,
    extensionField: 2,
    initialSequence: 1000,
    mtu: 1500,
    flowWindow: 25600,
    type: HANDSHAKE_TYPE.induction,
    socketId: 4242,
    synCookie: 0,
    peerIp: PEER_IP,
    extensions: [],
    ...overrides,
  };
}

function conclusion({ senderLatencyMs = 200, flags = LIVE_FLAGS, streamId = 'publish/abc/def', extra = [] as Handshake['extensions'] } = {}): Handshake {
  return callerHandshake({
    version: 5,
    type: HANDSHAKE_TYPE.conclusion,
    synCookie: 0xc00c1e,
    extensionField: EXTENSION_FLAG.hsreq | EXTENSION_FLAG.config,
    extensions: [
      { type: EXTENSION_TYPE.hsreq, content: writeSrtHandshakeInfo({ srtVersion: 0x010503, flags, receiverLatencyMs: 150, senderLatencyMs }) },
      { type: EXTENSION_TYPE.sid, content: writeStreamId(streamId) },
      ...extra,
    ],
  });
}

t.test('an induction is answered with HSv5, the SRT magic and a cookie', async (t) => {
  const step = listenerHandshakeStep(callerHandshake(), CONTEXT, SETTINGS);
  t.equal(step.kind, 'answer');
  if (step.kind !== 'answer') return;
  t.match(step.handshake, { version: 5, extensionField: SRT_MAGIC, synCookie: 0xc00c1e, type: HANDSHAKE_TYPE.induction, socketId: 4242 });
});

t.test('a conclusion with the cookie back waits for its stream id to be authorized; the larger latency wins', async (t) => {
  const step = listenerHandshakeStep(conclusion(), CONTEXT, SETTINGS);
  t.equal(step.kind, 'conclusion');
  if (step.kind !== 'conclusion') return;
  t.same(step.request, { callerSocketId: 4242, initialSequence: 1000, streamId: 'publish/abc/def', latencyMs: 200, callerReceiverLatencyMs: 150, mtu: 1500, flowWindow: 8192 });
  const lower = listenerHandshakeStep(conclusion({ senderLatencyMs: 80 }), CONTEXT, SETTINGS);
  t.equal(lower.kind === 'conclusion' && lower.request.latencyMs, 120, 'ours when the caller asks less');

  const answer = acceptConclusion(step.request, 99, PEER_IP);
  t.match(answer, { version: 5, type: HANDSHAKE_TYPE.conclusion, socketId: 99, initialSequence: 1000, extensionField: EXTENSION_FLAG.hsreq });
  t.equal(answer.extensions[0]!.type, EXTENSION_TYPE.hsrsp);
  const info = parseSrtHandshakeInfo(answer.extensions[0]!.content);
  t.equal(info.receiverLatencyMs, 200, 'HSRSP carries the negotiated latency');
  t.equal(info.senderLatencyMs, 150);
  t.equal(info.flags & SRT_FLAG.tsbpdReceive, SRT_FLAG.tsbpdReceive);
  t.equal(info.flags & SRT_FLAG.periodicNak, 0, 'periodic NAK is not announced: the sender keeps its blind retransmission');
});

t.test('refusals: wrong cookie, HSv4, not live, encryption, no HSREQ', async (t) => {
  const rejection = (handshake: Handshake) => {
    const step = listenerHandshakeStep(handshake, CONTEXT, SETTINGS);
    return step.kind === 'answer' ? step.handshake.type - REJECTION_TYPE_BASE : undefined;
  };
  t.equal(rejection({ ...conclusion(), synCookie: 1 }), SRT_REJECTION.rogue, 'a cookie we did not make');
  t.equal(rejection({ ...conclusion(), version: 4 }), SRT_REJECTION.version);
  t.equal(rejection(conclusion({ flags: LIVE_FLAGS | SRT_FLAG.stream })), SRT_REJECTION.messageApi, 'stream (file) mode');
  t.equal(rejection(conclusion({ extra: [{ type: EXTENSION_TYPE.kmreq, content: new Uint8Array(16) }] })), SRT_REJECTION.unsecure, 'a passphrase we do not have');
  t.equal(rejection({ ...conclusion(), extensions: [] }), SRT_REJECTION.rogue);
  t.equal(listenerHandshakeStep({ ...conclusion(), type: HANDSHAKE_TYPE.agreement }, CONTEXT, SETTINGS).kind, 'ignore', 'rendezvous');
  t.equal(rejectionAnswer(conclusion(), SRT_REJECTION.forbidden).type, 2403, "the caller's reading: 1000 + SRT_REJX_FORBIDDEN");
});

t.test('with a passphrase: the caller must send key material that unwraps with it, and gets it back as KMRSP', async (t) => {
  const withPassphrase = { ...SETTINGS, passphrase: 'the deployment passphrase' };
  const keyMaterial = (passphrase: string) => writeKeyMaterial(new Map([[KEY_FLAG.even, new Uint8Array(16).fill(7)]]), new Uint8Array(16).fill(1), passphrase);
  const encrypting = (passphrase: string) => ({ ...conclusion({ extra: [{ type: EXTENSION_TYPE.kmreq, content: keyMaterial(passphrase) }] }), encryption: 2 });
  const rejection = (handshake: Handshake) => {
    const step = listenerHandshakeStep(handshake, CONTEXT, withPassphrase);
    return step.kind === 'answer' ? step.handshake.type - REJECTION_TYPE_BASE : undefined;
  };
  t.equal(rejection(conclusion()), SRT_REJECTION.unsecure, 'a caller that does not encrypt');
  t.equal(rejection(encrypting('not the passphrase')), SRT_REJECTION.badSecret, 'another passphrase');
  const step = listenerHandshakeStep(encrypting('the deployment passphrase'), CONTEXT, withPassphrase);
  t.equal(step.kind, 'conclusion');
  if (step.kind !== 'conclusion') return;
  t.ok(step.request.encryption?.decryptor, 'keys to decrypt with');
  const answer = acceptConclusion(step.request, 99, PEER_IP);
  t.equal(answer.extensionField & EXTENSION_FLAG.kmreq, EXTENSION_FLAG.kmreq);
  t.equal(answer.encryption, 2);
  t.same(answer.extensions.find((extension) => extension.type === EXTENSION_TYPE.kmrsp)?.content, keyMaterial('the deployment passphrase'), 'KMRSP echoes the key material');
});
