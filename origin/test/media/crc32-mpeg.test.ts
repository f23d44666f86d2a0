import t from 'tap';
import { crc32Mpeg } from '../../src/media/crc32-mpeg.js';

t.test('matches the CRC-32/MPEG-2 check value', async (t) => {
  const ascii = new TextEncoder().encode('123456789');
  t.equal(crc32Mpeg(ascii, 0, ascii.length), 0x0376e6e7);
});

t.test('covers only the given range', async (t) => {
  const padded = new TextEncoder().encode('xx123456789yy');
  t.equal(crc32Mpeg(padded, 2, 11), 0x0376e6e7);
  t.equal(crc32Mpeg(padded, 0, 0), 0xffffffff, 'empty range leaves the initial value');
});
