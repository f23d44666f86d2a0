/** A receiving connection's control traffic, driven by a hand-held clock. */
import t from 'tap';
import { CONTROL_TYPE, parseSrtPacket, writeControlPacket, writeDataPacket, type SrtControlPacket, type SrtPacket } from '../../src/srt/srt-packet.js';
import { EMPTY_CIF, parseAck, parseLossList, writeDropRequest } from '../../src/srt/srt-control-fields.js';
import { SrtReceiverSession } from '../../src/srt/srt-receiver-session.js';

const SETTINGS = { localSocketId: 1, peerSocketId: 2, initialSequence: 50, latencyMs: 120, capacityPackets: 64, idleTimeoutMs: 5000, startMs: 0 };

function data(sequence: number, timestampUs = sequence * 1000): SrtPacket {
  return parseSrtPacket(
    writeDataPacket({ sequence, position: 3, inOrder: false, encryption: 0, retransmitted: false, messageNumber: 1, timestampUs, destinationSocketId: 1, payload: Uint8Array.of(sequence) }),
  );
}

function control(controlType: number, typeInfo = 0, cif: Uint8Array = EMPTY_CIF): SrtPacket {
  return parseSrtPacket(writeControlPacket({ controlType, subtype: 0, typeInfo, timestampUs: 0, destinationSocketId: 1, cif }));
}

const sent = (packets: Uint8Array[]) => packets.map((bytes) => parseSrtPacket(bytes) as SrtControlPacket);

t.test('ACKs every 10 ms while data comes, numbered; the ACKACK gives the RTT', async (t) => {
  const session = new SrtReceiverSession(SETTINGS);
  t.same(session.handle(data(50), 1).payloads, [Uint8Array.of(50)]);
  t.same(session.tick(5).send, [], 'not before 10 ms');
  const [ack] = sent(session.tick(10).send);
  t.match(ack, { controlType: CONTROL_TYPE.ack, typeInfo: 1, destinationSocketId: 2 });
  t.equal(parseAck(ack!.cif).lastAcknowledged, 51);
  t.same(session.tick(20).send, [], 'nothing new: no ACK');
  session.handle(control(CONTROL_TYPE.ackack, 1), 30);
  t.equal(session.stats.rttMs, (7 * 100 + 20) / 8, 'smoothed from the 20 ms sample');
  session.handle(data(51), 31);
  t.equal(sent(session.tick(41).send)[0]!.typeInfo, 2);
});

t.test('NAK at once for a gap, again periodically until it is filled', async (t) => {
  const session = new SrtReceiverSession({ ...SETTINGS, latencyMs: 1000 });
  session.handle(data(50), 0);
  const [nak] = sent(session.handle(data(53), 1).send);
  t.equal(nak!.controlType, CONTROL_TYPE.nak);
  t.same(parseLossList(nak!.cif), [{ first: 51, last: 52 }]);
  const later = sent(session.tick(200).send).filter((packet) => packet.controlType === CONTROL_TYPE.nak);
  t.same(later.map((packet) => parseLossList(packet.cif)), [[{ first: 51, last: 52 }]], 'asked again');
  session.handle(data(51), 201);
  t.same(session.handle(data(52), 202).payloads, [Uint8Array.of(52), Uint8Array.of(53)]);
  t.same(sent(session.tick(400).send).filter((packet) => packet.controlType === CONTROL_TYPE.nak), [], 'no NAK once whole');
});

t.test('too late: the gap is given up and the rest delivered on a tick', async (t) => {
  const session = new SrtReceiverSession(SETTINGS);
  session.handle(data(50, 0), 0);
  session.handle(data(52, 20_000), 20);
  t.same(session.tick(139).payloads, []);
  t.same(session.tick(140).payloads, [Uint8Array.of(52)]);
  t.equal(session.stats.droppedPackets, 1);
});

t.test('a drop request, a keepalive after a quiet second, the shutdown', async (t) => {
  const session = new SrtReceiverSession(SETTINGS);
  session.handle(data(50), 0);
  session.handle(data(52), 1);
  t.same(session.handle(control(CONTROL_TYPE.dropRequest, 0, writeDropRequest({ first: 51, last: 51 })), 2).payloads, [Uint8Array.of(52)]);
  session.tick(10);
  t.same(sent(session.tick(1010).send).map((packet) => packet.controlType), [CONTROL_TYPE.keepalive]);
  t.equal(session.handle(control(CONTROL_TYPE.shutdown), 1020).ended, 'shutdown');
  t.same(session.tick(2000), { payloads: [], send: [] }, 'nothing after the end');
});

t.test('a caller silent for the idle timeout is dropped with a shutdown', async (t) => {
  const session = new SrtReceiverSession(SETTINGS);
  session.handle(control(CONTROL_TYPE.keepalive), 100);
  t.equal(session.tick(5099).ended, undefined);
  const end = session.tick(5100);
  t.equal(end.ended, 'idle');
  t.same(sent(end.send).map((packet) => packet.controlType), [CONTROL_TYPE.shutdown]);
});
