/** The SRT wire formats: headers, control fields, handshake and its extensions, sequence numbers. */
import t from 'tap';
import { CONTROL_TYPE, parseSrtPacket, SrtPacketError, writeControlPacket, writeDataPacket } from '../../src/srt/srt-packet.js';
import { parseAck, parseDropRequest, parseLossList, writeAck, writeDropRequest, writeLossList } from '../../src/srt/srt-control-fields.js';
import {
  EXTENSION_TYPE,
  HANDSHAKE_TYPE,
  parseHandshake,
  parseSrtHandshakeInfo,
  parseStreamId,
  writeHandshake,
  writeSrtHandshakeInfo,
  writeStreamId,
} from '../../src/srt/srt-handshake-packet.js';
import { SEQUENCE_MODULO, sequenceAdd, sequenceDistance } from '../../src/srt/srt-sequence.js';

t.test('sequence numbers compare and move across the 31-bit wrap', async (t) => {
  t.equal(sequenceDistance(5, 9), 4);
  t.equal(sequenceDistance(9, 5), -4);
  t.equal(sequenceDistance(SEQUENCE_MODULO - 2, 1), 3, 'past the wrap is ahead');
  t.equal(sequenceDistance(1, SEQUENCE_MODULO - 2), -3);
  t.equal(sequenceAdd(SEQUENCE_MODULO - 1, 1), 0);
  t.equal(sequenceAdd(0, -1), SEQUENCE_MODULO - 1);
});

t.test('a data packet: header bit fields and payload', async (t) => {
  const bytes = writeDataPacket({
    sequence: 0x7fff_fffe,
    position: 0b11,
    inOrder: false,
    encryption: 0,
    retransmitted: true,
    messageNumber: 0x03ff_ffff,
    timestampUs: 0xffff_fff0,
    destinationSocketId: 0x1234_5678,
    payload: Uint8Array.of(0x47, 1, 2),
  });
  t.same([...bytes.subarray(0, 8)], [0x7f, 0xff, 0xff, 0xfe, 0b1100_0111, 0xff, 0xff, 0xff], 'F=0, sequence; PP=11 O=0 KK=00 R=1, message number');
  const packet = parseSrtPacket(bytes);
  t.equal(packet.kind, 'data');
  if (packet.kind !== 'data') return;
  t.match(packet, { sequence: 0x7fff_fffe, position: 3, inOrder: false, retransmitted: true, messageNumber: 0x03ff_ffff, timestampUs: 0xffff_fff0, destinationSocketId: 0x1234_5678 });
  t.same([...packet.payload], [0x47, 1, 2]);
});

t.test('a control packet: type, type-specific information, CIF', async (t) => {
  const bytes = writeControlPacket({ controlType: CONTROL_TYPE.ackack, subtype: 0, typeInfo: 42, timestampUs: 7, destinationSocketId: 9, cif: new Uint8Array(4) });
  t.same([...bytes.subarray(0, 4)], [0x80, 0x06, 0, 0], 'F=1, type 6');
  t.match(parseSrtPacket(bytes), { kind: 'control', controlType: CONTROL_TYPE.ackack, typeInfo: 42, timestampUs: 7, destinationSocketId: 9 });
  t.throws(() => parseSrtPacket(new Uint8Array(15)), SrtPacketError, 'shorter than a header');
});

t.test('loss lists: single packets and ranges', async (t) => {
  const ranges = [
    { first: 10, last: 10 },
    { first: 20, last: 25 },
  ];
  const cif = writeLossList(ranges);
  t.same([...cif], [0, 0, 0, 10, 0x80, 0, 0, 20, 0, 0, 0, 25], 'a range starts with bit 31 set');
  t.same(parseLossList(cif), ranges);
  t.equal(writeLossList(ranges, 8).byteLength, 4, 'what does not fit waits for the next NAK');
  t.throws(() => parseLossList(Uint8Array.of(0x80, 0, 0, 1)), SrtPacketError, 'a range without its end');
});

t.test('ACK and drop request fields', async (t) => {
  const ack = { lastAcknowledged: 100, rttUs: 20_000, rttVarianceUs: 5000, availableBufferPackets: 8000, packetsPerSecond: 300, linkCapacityPacketsPerSecond: 300, bytesPerSecond: 400_000 };
  t.same(parseAck(writeAck(ack)), ack);
  t.same(parseAck(Uint8Array.of(0, 0, 0, 7)), { ...ack, lastAcknowledged: 7, rttUs: 0, rttVarianceUs: 0, availableBufferPackets: 0, packetsPerSecond: 0, linkCapacityPacketsPerSecond: 0, bytesPerSecond: 0 }, 'a light ACK');
  t.same(parseDropRequest(writeDropRequest({ first: 5, last: 9 })), { first: 5, last: 9 });
});

t.test('the stream id travels with each 32-bit word byte-swapped, zero-padded', async (t) => {
  const content = writeStreamId('publish/ab');
  t.same([...content], [...Buffer.from('lbup/hsi\0\0ba')], 'as libsrt writes it');
  t.equal(parseStreamId(content), 'publish/ab');
  t.equal(parseStreamId(writeStreamId('#!::r=publish/x/y,m=publish')), '#!::r=publish/x/y,m=publish');
  t.throws(() => writeStreamId('x'.repeat(513)), SrtPacketError);
});

t.test('a handshake with HSREQ and SID extensions round-trips', async (t) => {
  const handshake = {
    version: 5,
    encryption: 0,
    extensionField: 0x5,
    initialSequence: 12345,
    mtu: 1500,
    flowWindow: 8192,
    type: HANDSHAKE_TYPE.conclusion,
    socketId: 777,
    synCookie: 0xdead_beef,
    peerIp: Uint8Array.of(1, 0, 0, 127, ...new Array<number>(12).fill(0)),
    extensions: [
      { type: EXTENSION_TYPE.hsreq, content: writeSrtHandshakeInfo({ srtVersion: 0x010503, flags: 0xbf, receiverLatencyMs: 120, senderLatencyMs: 200 }) },
      { type: EXTENSION_TYPE.sid, content: writeStreamId('publish/abc/def') },
    ],
  };
  const cif = writeHandshake(handshake);
  t.equal(cif.byteLength, 48 + 4 + 12 + 4 + 16);
  t.same([...cif.subarray(48, 52)], [0, 1, 0, 3], 'extension type 1, 3 words');
  const parsed = parseHandshake(cif);
  t.same(parsed, handshake);
  t.same(parseSrtHandshakeInfo(parsed.extensions[0]!.content), { srtVersion: 0x010503, flags: 0xbf, receiverLatencyMs: 120, senderLatencyMs: 200 });
  t.throws(() => parseHandshake(cif.subarray(0, 40)), SrtPacketError);
  const truncated = cif.slice(0, 60);
  t.throws(() => parseHandshake(truncated), SrtPacketError, 'an extension longer than the packet');
});
