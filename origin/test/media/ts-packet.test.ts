import t from 'tap';
import { NO_PCR, payloadCapacity, TS_PACKET_SIZE, writePacketPrefix } from '../../src/media/ts-packet.js';
import { readPackets } from './fixtures/ts-reader.js';

/** A packet with `payloadSize` bytes of 0xAA payload after the prefix. */
function packet(payloadSize: number, pcr: number, randomAccess: boolean, pid = 0x100, counter = 5): Uint8Array {
  const out = new Uint8Array(TS_PACKET_SIZE);
  const payloadAt = writePacketPrefix(out, 0, pid, true, counter, payloadSize, pcr, randomAccess);
  if (TS_PACKET_SIZE - payloadAt !== payloadSize) throw new Error(`payload at ${payloadAt} does not end the packet`);
  out.fill(0xaa, payloadAt);
  return out;
}

t.test('payload-only packet has no adaptation field', async (t) => {
  const out = packet(184, NO_PCR, false, 0x1abc, 17);
  // 47 | PUSI + PID high 0x1a | PID low 0xbc | payload only (01), counter 17 & 0xf = 1
  t.same([...out.subarray(0, 4)], [0x47, 0x5a, 0xbc, 0x11]);
  const [p] = readPackets(out);
  t.equal(p!.pid, 0x1abc);
  t.equal(p!.adaptationLength, -1);
  t.equal(p!.payload.length, 184);
});

t.test('one byte of stuffing is a zero-length adaptation field', async (t) => {
  const out = packet(183, NO_PCR, false);
  // adaptation + payload (11), adaptation_field_length 0, then payload
  t.same([...out.subarray(3, 6)], [0x35, 0x00, 0xaa]);
});

t.test('shorter payloads are padded with 0xFF stuffing', async (t) => {
  const out = packet(10, NO_PCR, false);
  const [p] = readPackets(out);
  t.equal(p!.adaptationLength, 184 - 10 - 1);
  t.equal(out[5], 0x00, 'no flags set');
  t.ok(out.subarray(6, 188 - 10).every((b) => b === 0xff));
  t.equal(p!.payload.length, 10);
});

t.test('random_access_indicator and PCR, with a base above 2^32', async (t) => {
  t.equal(payloadCapacity(NO_PCR, false), 184);
  t.equal(payloadCapacity(NO_PCR, true), 182);
  t.equal(payloadCapacity(0, true), 176);
  const pcr = 2 ** 33 - 3;
  const out = packet(176, pcr, true);
  // adaptation_field_length 7, flags: random_access (0x40) + PCR (0x10)
  t.same([...out.subarray(4, 6)], [7, 0x50]);
  t.equal(out[10]! & 0x7e, 0x7e, 'reserved bits set');
  const [p] = readPackets(out);
  t.equal(p!.pcr, pcr);
  t.equal(p!.randomAccess, true);
  t.equal(readPackets(packet(170, 12345, false))[0]!.pcr, 12345, 'PCR with stuffing after it');
});
