/** The receive buffer: order, loss list, wrap, too-late drop by TSBPD time, drop requests, bounds. */
import t from 'tap';
import { SrtReceiveBuffer } from '../../src/srt/srt-receive-buffer.js';
import { SEQUENCE_MODULO, sequenceAdd } from '../../src/srt/srt-sequence.js';

const payload = (n: number) => Uint8Array.of(n & 0xff);
const values = (payloads: Uint8Array[]) => payloads.map((bytes) => bytes[0]);

t.test('in order: delivered at once, ACK point follows', async (t) => {
  const buffer = new SrtReceiveBuffer({ initialSequence: 100, capacityPackets: 16, latencyMs: 120 });
  t.same(values(buffer.receive(100, 0, payload(1), 0).delivered), [1]);
  t.same(values(buffer.receive(101, 1000, payload(2), 1).delivered), [2]);
  t.equal(buffer.acknowledged, 102);
  t.same(buffer.lossList, []);
  t.equal(buffer.receive(101, 1000, payload(2), 2).outcome, 'belated', 'already delivered');
});

t.test('a gap is reported once, held packets wait for it, and come out in order when it is filled', async (t) => {
  const buffer = new SrtReceiveBuffer({ initialSequence: 0, capacityPackets: 16, latencyMs: 120 });
  buffer.receive(0, 0, payload(0), 0);
  const ahead = buffer.receive(4, 4000, payload(4), 4);
  t.same(ahead.delivered, []);
  t.same(ahead.newLosses, [{ first: 1, last: 3 }], 'the gap, to NAK at once');
  t.same(buffer.receive(5, 5000, payload(5), 5).newLosses, [], 'no new gap');
  t.same(values(buffer.receive(2, 2000, payload(2), 6).delivered), [], 'the middle of the gap');
  t.same(buffer.lossList, [{ first: 1, last: 1 }, { first: 3, last: 3 }], 'the range is split');
  t.equal(buffer.receive(2, 2000, payload(2), 7).outcome, 'duplicate');
  t.same(values(buffer.receive(1, 1000, payload(1), 8).delivered), [1, 2]);
  t.same(values(buffer.receive(3, 3000, payload(3), 9).delivered), [3, 4, 5]);
  t.same(buffer.lossList, []);
  t.equal(buffer.acknowledged, 6);
});

t.test('across the 31-bit sequence wrap', async (t) => {
  const start = SEQUENCE_MODULO - 2;
  const buffer = new SrtReceiveBuffer({ initialSequence: start, capacityPackets: 10, latencyMs: 120 });
  buffer.receive(start, 0, payload(0), 0);
  t.same(buffer.receive(1, 3000, payload(3), 1).newLosses, [{ first: start + 1, last: 0 }], 'the gap spans the wrap');
  t.same(values(buffer.receive(0, 2000, payload(2), 2).delivered), [], 'after the wrap, still waiting');
  t.same(values(buffer.receive(start + 1, 1000, payload(1), 3).delivered), [1, 2, 3]);
  t.equal(buffer.acknowledged, 2);
});

t.test('a gap still open when the packet after it is due for play is given up', async (t) => {
  // The first packet (timestamp 1 s) arrives at local 10 000 ms: packet timestamps map to local time + 200 ms latency.
  const buffer = new SrtReceiveBuffer({ initialSequence: 0, capacityPackets: 16, latencyMs: 200 });
  buffer.receive(0, 1_000_000, payload(0), 10_000);
  buffer.receive(3, 1_030_000, payload(3), 10_030);
  buffer.receive(4, 1_040_000, payload(4), 10_040);
  t.same(buffer.releaseTooLate(10_229), [], 'packet 3 plays at 10 230: still time to retransmit');
  t.same(values(buffer.releaseTooLate(10_230)), [3, 4], 'then 1 and 2 are given up');
  t.equal(buffer.dropped, 2);
  t.same(buffer.lossList, []);
  t.equal(buffer.receive(1, 1_010_000, payload(1), 10_231).outcome, 'belated', 'a retransmission after that is too late');
});

t.test('a drop request from the sender ends the wait at once', async (t) => {
  const buffer = new SrtReceiveBuffer({ initialSequence: 0, capacityPackets: 16, latencyMs: 200 });
  buffer.receive(0, 0, payload(0), 0);
  buffer.receive(3, 3000, payload(3), 3);
  t.same(values(buffer.dropRequested({ first: 1, last: 2 })), [3]);
  t.same(buffer.lossList, []);
  t.same(values(buffer.dropRequested({ first: 4, last: 5 })), [], 'packets not seen yet');
  t.same(values(buffer.receive(6, 6000, payload(6), 6).delivered), [6], 'are skipped when they would have come');
  t.equal(buffer.dropped, 4);
});

t.test('bounded: a packet further than the capacity past the first missing one is refused', async (t) => {
  const buffer = new SrtReceiveBuffer({ initialSequence: 0, capacityPackets: 8, latencyMs: 200 });
  t.equal(buffer.receive(7, 0, payload(7), 0).outcome, 'stored');
  t.equal(buffer.freePackets, 0);
  t.equal(buffer.receive(8, 0, payload(8), 0).outcome, 'overflow');
  t.equal(buffer.receive(sequenceAdd(0, 1 << 29), 0, payload(9), 0).outcome, 'overflow', 'far ahead');
});
