import t from 'tap';
import { pesHeaderSize, STREAM_ID_VIDEO, writePesHeader, wrapTimestamp } from '../../src/media/pes.js';
import { readTimestamp } from './fixtures/ts-reader.js';

t.test('PTS-only header when DTS equals PTS', async (t) => {
  const out = new Uint8Array(32);
  const end = writePesHeader(out, 0, 0xc0, 100, 90_000, 90_000);
  t.equal(end, pesHeaderSize(false));
  t.equal(end, 14);
  // start code, stream id, PES_packet_length = 3 + 5 + 100, '10' + data_alignment, PTS only, 5 bytes
  t.same([...out.subarray(0, 9)], [0, 0, 1, 0xc0, 0, 108, 0x84, 0x80, 5]);
  t.equal(out[9]! >> 4, 0b0010, "PTS prefix '0010'");
  t.equal(readTimestamp(out, 9), 90_000);
});

t.test('PTS and DTS when they differ', async (t) => {
  const out = new Uint8Array(32);
  const end = writePesHeader(out, 0, STREAM_ID_VIDEO, 10, 93_003, 90_000);
  t.equal(end, pesHeaderSize(true));
  t.equal(end, 19);
  t.same([out[7], out[8]], [0xc0, 10], 'PTS_DTS_flags 11, header data length 10');
  t.equal(out[9]! >> 4, 0b0011, "PTS prefix '0011'");
  t.equal(out[14]! >> 4, 0b0001, "DTS prefix '0001'");
  t.equal(readTimestamp(out, 9), 93_003);
  t.equal(readTimestamp(out, 14), 90_000);
});

t.test('33-bit timestamps round-trip, including above 2^32', async (t) => {
  const out = new Uint8Array(32);
  for (const ticks of [0, 1, 2 ** 30 - 1, 2 ** 30, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12345, 2 ** 33 - 1]) {
    writePesHeader(out, 0, STREAM_ID_VIDEO, 0, ticks + 1, ticks);
    t.equal(readTimestamp(out, 14), ticks, `DTS ${ticks}`);
    t.equal(readTimestamp(out, 9), (ticks + 1) % 2 ** 33, `PTS ${ticks + 1}`);
    // marker bits
    t.same([out[14]! & 1, out[16]! & 1, out[18]! & 1], [1, 1, 1]);
  }
});

t.test('timestamps wrap at 2^33, negative ones included', async (t) => {
  t.equal(wrapTimestamp(2 ** 33 + 5), 5);
  t.equal(wrapTimestamp(-1), 2 ** 33 - 1);
  const out = new Uint8Array(32);
  writePesHeader(out, 0, 0xc0, 0, 2 ** 33 + 7, 2 ** 33 + 7);
  t.equal(readTimestamp(out, 9), 7);
});

t.test('PES_packet_length is 0 (unbounded) past 65535', async (t) => {
  const out = new Uint8Array(32);
  writePesHeader(out, 0, STREAM_ID_VIDEO, 70_000, 0, 0);
  t.same([out[4], out[5]], [0, 0]);
  writePesHeader(out, 0, STREAM_ID_VIDEO, 65_535 - 8, 0, 0);
  t.same([out[4], out[5]], [0xff, 0xff], 'largest bounded length');
});
