import t from 'tap';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { hex } from './fixtures/ts-reader.js';

const HEADER = '464c56 01 05 00000009 00000000'; // 'FLV', version 1, audio + video, header size 9, PreviousTagSize0

t.test('reads tags with extended timestamps', async (t) => {
  const file = hex(
    HEADER +
      '09 000003 000064 00 000000 170000 0000000e' + // video, 3 bytes, 100 ms
      '08 000002 123456 01 000000 af01 0000000d', // audio, 2 bytes, 0x01123456 ms (extended byte first)
  );
  const tags = [...readFlvTags(file)];
  t.same(
    tags.map((tag) => ({ ...tag, body: Buffer.from(tag.body).toString('hex') })),
    [
      { type: 9, timestampMs: 100, body: '170000' },
      { type: 8, timestampMs: 0x01123456, body: 'af01' },
    ],
  );
});

t.test('stops at a tag cut short and skips unknown tag types', async (t) => {
  const file = hex(
    HEADER +
      '0f 000001 000000 00 000000 ff 0000000c' + // tag type 15: skipped
      '08 000010 000000 00 000000 af01', // 16 bytes announced, 2 present
  );
  t.same([...readFlvTags(file)], []);
});

t.test('refuses a file without the FLV signature', async (t) => {
  t.throws(() => [...readFlvTags(hex('000000000000000000'))], { message: /not an FLV file/ });
});
