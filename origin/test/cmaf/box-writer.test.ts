import t from 'tap';
import { BoxWriter, measureBoxes, writeBoxes } from '../../src/cmaf/box-writer.js';
import { hex } from '../media/fixtures/ts-reader.js';

t.test('fields are big-endian; a box gets its size once its body is written', async (t) => {
  const data = writeBoxes((w) => {
    w.box('test', () => {
      w.u8(0x01);
      w.u16(0x0203);
      w.u24(0x040506);
      w.u32(0x0708090a);
      w.i32(-2);
      w.u64(2 ** 32 + 5);
      w.fourCc('abcd');
      w.bytes(hex('eeff'));
      w.zeros(2);
    });
  });
  t.same(
    data,
    hex(
      [
        '00000026 74657374', // size 38, 'test'
        '01 0203 040506 0708090a',
        'fffffffe', // -2
        '00000001 00000005', // 2^32 + 5
        '61626364 eeff 0000', // 'abcd', bytes, zeros
      ].join(''),
    ),
  );
});

t.test('a FullBox starts with version and flags; nested boxes each carry their own size', async (t) => {
  const data = writeBoxes((w) => {
    w.box('outr', () => {
      w.fullBox('innr', 1, 0x020001, () => w.u8(7));
      w.box('empt', () => {});
    });
  });
  t.same(
    data,
    hex(
      [
        '0000001d 6f757472', // 'outr', 29 bytes
        '0000000d 696e6e72 01 020001 07', // 'innr', version 1, flags 0x020001, one byte
        '00000008 656d7074', // 'empt', header only
      ].join(''),
    ),
  );
});

t.test('measuring writes nothing and counts what writing will write', async (t) => {
  const write = (w: BoxWriter) => w.box('moov', () => w.zeros(100));
  t.equal(measureBoxes(write), 108);
  t.equal(writeBoxes(write).length, 108);
  const counter = new BoxWriter();
  counter.u64(1);
  t.equal(counter.position, 8);
});

t.test('a wrong size given to writeBoxes, a bad four-character code or a 64-bit value out of range throw', async (t) => {
  t.throws(() => writeBoxes((w) => w.u32(1), 8), /measured 8 bytes but wrote 4/);
  t.throws(() => writeBoxes((w) => w.fourCc('abc')), RangeError);
  t.throws(() => writeBoxes((w) => w.u64(-1)), RangeError);
  t.throws(() => writeBoxes((w) => w.u64(2 ** 53)), RangeError);
});
