import t from 'tap';
import { BitReader } from '../../src/media/bit-reader.js';

t.test('reads bit fields across byte boundaries', async (t) => {
  // 1010 1100 0011 0101
  const bits = new BitReader(new Uint8Array([0xac, 0x35]), 'test record');
  t.equal(bits.readBits(3), 0b101);
  t.equal(bits.readBits(6), 0b011_000);
  t.equal(bits.bitsLeft, 7);
  t.equal(bits.readBits(7), 0b0110101);
  t.throws(() => bits.readBits(1), { message: 'test record is truncated: read of 1 bits past the end of 2 bytes' });
});

t.test('reads 32 bits without going negative', async (t) => {
  t.equal(new BitReader(new Uint8Array([0xff, 0xff, 0xff, 0xfe]), 'test').readBits(32), 0xfffffffe);
});

t.test('reads Exp-Golomb codes', async (t) => {
  // ue: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3; then se: 010 -> +1, 011 -> -1
  // 1 010 011 00100 010 011 + padding = 1010 0110 0100 0100 11xx
  const bits = new BitReader(new Uint8Array([0xa6, 0x44, 0xc0]), 'test');
  t.same([bits.readUE(), bits.readUE(), bits.readUE(), bits.readUE()], [0, 1, 2, 3]);
  t.same([bits.readSE(), bits.readSE()], [1, -1]);
});
