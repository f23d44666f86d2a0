import t from 'tap';
import { nmsReference } from '../../src/ingest/nms-rtmp-connection.js';
import { ChunkReader, MAX_CHUNK_STREAMS, MAX_HELD_BYTES } from '../../src/restream/rtmp-chunk-reader.js';
import { ChunkWriter, type RtmpMessage } from '../../src/restream/rtmp-chunk-writer.js';
import { hex } from '../media/fixtures/ts-reader.js';

const message = (fields: Partial<RtmpMessage> & { payload: Uint8Array }): RtmpMessage => ({
  csid: 3, type: 20, streamId: 0, timestamp: 0, ...fields,
});

t.test('type 0 then type 1 headers on one chunk stream', async (t) => {
  const writer = new ChunkWriter();
  // fmt 0 + csid 3 | timestamp 0 | length 3 | type 20 | stream id 1 (little-endian) | payload
  t.same(writer.encode(message({ streamId: 1, timestamp: 0, payload: hex('010203') })), hex('03 000000 000003 14 01000000 010203'));
  // fmt 1 + csid 3 | delta 40 | length 2 | type 20 | payload
  t.same(writer.encode(message({ streamId: 1, timestamp: 40, payload: hex('aabb') })), hex('43 000028 000002 14 aabb'));
  // a different message stream needs a full header again
  t.same(writer.encode(message({ streamId: 0, timestamp: 50, payload: hex('cc') })), hex('03 000032 000001 14 00000000 cc'));
  // going back in time cannot be a delta
  t.same(writer.encode(message({ streamId: 0, timestamp: 10, payload: hex('dd') })), hex('03 00000a 000001 14 00000000 dd'));
});

t.test('a message longer than the chunk size continues in type 3 chunks', async (t) => {
  const writer = new ChunkWriter();
  writer.chunkSize = 4;
  const bytes = writer.encode(message({ csid: 6, type: 9, streamId: 1, timestamp: 33, payload: hex('00010203 04050607 0809') }));
  t.same(bytes, hex('06 000021 00000a 09 01000000 00010203  c6 04050607  c6 0809'));
});

t.test('extended timestamps: the 24-bit field says 0xffffff and every chunk carries the 32 bits', async (t) => {
  const writer = new ChunkWriter();
  writer.chunkSize = 2;
  const bytes = writer.encode(message({ csid: 4, type: 8, streamId: 1, timestamp: 0x01000000, payload: hex('aabbcc') }));
  t.same(bytes, hex('04 ffffff 000003 08 01000000 01000000 aabb  c4 01000000 cc'));
  // A delta of 0xffffff or more is extended too.
  const next = writer.encode(message({ csid: 4, type: 8, streamId: 1, timestamp: 0x01000000 + 0xffffff, payload: hex('dd') }));
  t.same(next, hex('44 ffffff 000001 08 00ffffff dd'));
});

t.test('timestamps past 2^32 wrap, as RTMP time does', async (t) => {
  const writer = new ChunkWriter();
  const bytes = writer.encode(message({ timestamp: 2 ** 32 + 5, payload: hex('00') }));
  t.same(bytes, hex('03 000005 000001 14 00000000 00'));
});

t.test('two- and three-byte basic headers', async (t) => {
  const writer = new ChunkWriter();
  // csid 64..319: first byte fmt + 0, then csid - 64
  t.same(writer.encode(message({ csid: 100, payload: hex('') })).subarray(0, 2), hex('00 24'));
  // csid 320..65599: first byte fmt + 1, then csid - 64 little-endian
  t.same(writer.encode(message({ csid: 1000, payload: hex('') })).subarray(0, 3), hex('01 a8 03'));
  t.throws(() => writer.encode(message({ csid: 1, payload: hex('') })), RangeError);
});

t.test('reader: parses what the writer writes, fed in any slices', async (t) => {
  const messages: RtmpMessage[] = [
    message({ csid: 2, type: 5, payload: hex('004c4b40') }),
    message({ csid: 3, type: 20, payload: new Uint8Array(300).map((_, i) => i) }),
    message({ csid: 4, type: 8, streamId: 1, timestamp: 21, payload: new Uint8Array(10).fill(1) }),
    message({ csid: 4, type: 8, streamId: 1, timestamp: 42, payload: new Uint8Array(129).fill(2) }),
    message({ csid: 6, type: 9, streamId: 1, timestamp: 0x1234567, payload: new Uint8Array(1000).fill(3) }),
    message({ csid: 6, type: 9, streamId: 1, timestamp: 0x1234567 + 33, payload: new Uint8Array(5).fill(4) }),
    message({ csid: 500, type: 18, streamId: 1, timestamp: 7, payload: new Uint8Array(0) }),
  ];
  const writer = new ChunkWriter();
  const stream = Buffer.concat(messages.map((m) => writer.encode(m)));
  for (const sliceSize of [1, 7, 128, stream.length]) {
    const reader = new ChunkReader();
    const got: RtmpMessage[] = [];
    for (let i = 0; i < stream.length; i += sliceSize) got.push(...reader.read(stream.subarray(i, i + sliceSize)));
    t.same(got.map((m) => ({ ...m, payload: Buffer.from(m.payload) })), messages.map((m) => ({ ...m, payload: Buffer.from(m.payload) })), `slices of ${sliceSize}`);
  }
});

t.test('reader: Set Chunk Size applies from the next chunk; Abort drops a partial message', async (t) => {
  const reader = new ChunkReader();
  const writer = new ChunkWriter();
  const setChunkSize = writer.encode(message({ csid: 2, type: 1, payload: hex('00001000') }));
  writer.chunkSize = 4096;
  const big = writer.encode(message({ csid: 3, payload: new Uint8Array(3000).fill(9) }));
  const got = reader.read(Buffer.concat([setChunkSize, big]));
  t.equal(got.length, 1, 'Set Chunk Size is consumed, the 3000-byte message comes out whole');
  t.equal(got[0]?.payload.length, 3000);

  const small = new ChunkReader();
  // first 128-byte chunk of a 200-byte message on csid 3, then Abort(csid 3), then a new message
  const partial = new ChunkWriter().encode(message({ csid: 3, payload: new Uint8Array(200) })).subarray(0, 12 + 128);
  const abort = hex('02 000000 000004 02 00000000 00000003');
  const after = hex('03 000000 000001 14 00000000 ee');
  t.same(small.read(Buffer.concat([partial, abort, after])).map((m) => Buffer.from(m.payload)), [Buffer.from('ee', 'hex')]);
});

t.test('reader: refuses what cannot be RTMP', async (t) => {
  t.throws(() => new ChunkReader().read(hex('43 000000 000001 14 00')), { code: 'RESTREAM_ERR_PROTOCOL' }, 'type 1 header on a new chunk stream');
  t.throws(() => new ChunkReader().read(hex('03 000000 ffffff 14 00000000')), /more than a command/, 'a 16 MB "command"');
});

t.test('reader: a server cannot open chunk streams without limit', async (t) => {
  const reader = new ChunkReader();
  const writer = new ChunkWriter();
  const oneEach = (from: number, count: number) =>
    Buffer.concat(Array.from({ length: count }, (_, i) => writer.encode(message({ csid: from + i, payload: hex('00') }))));
  t.equal(reader.read(oneEach(3, MAX_CHUNK_STREAMS)).length, MAX_CHUNK_STREAMS, `${MAX_CHUNK_STREAMS} chunk streams are fine`);
  t.equal(reader.read(oneEach(3, MAX_CHUNK_STREAMS)).length, MAX_CHUNK_STREAMS, 'and so is using them again');
  t.throws(() => reader.read(oneEach(1000, 1)), { code: 'RESTREAM_ERR_PROTOCOL', message: `the server used more than ${MAX_CHUNK_STREAMS} chunk streams` });
});

t.test('reader: unfinished messages on many chunk streams are bounded in total', async (t) => {
  const reader = new ChunkReader();
  const writer = new ChunkWriter();
  reader.read(writer.encode(message({ csid: 2, type: 1, payload: hex('00080000') })));
  writer.chunkSize = 512 * 1024;
  // Each: the first 512 KiB chunk of a 1 MiB message, on its own chunk stream.
  const firstHalf = (csid: number) => writer.encode(message({ csid, payload: new Uint8Array(1024 * 1024) })).subarray(0, 12 + 512 * 1024);
  const held: number[] = [];
  const error = t.throws(() => {
    for (let csid = 3; csid < 20; csid++) {
      reader.read(firstHalf(csid));
      held.push(reader.heldBytes);
    }
  });
  t.match(error, { code: 'RESTREAM_ERR_PROTOCOL', message: `the server left more than ${MAX_HELD_BYTES} bytes of chunks and messages unfinished` });
  t.same(held, [512, 1024, 1536, 2048].map((k) => k * 1024), 'refused at the fifth, never holding more than the bound');
});

t.test('reader: a chunk trickled a byte at a time is parsed once, when complete', async (t) => {
  const reader = new ChunkReader();
  const writer = new ChunkWriter();
  reader.read(writer.encode(message({ csid: 2, type: 1, payload: hex('00100000') })));
  writer.chunkSize = 1024 * 1024;
  const payload = new Uint8Array(512 * 1024).map((_, i) => i & 0xff);
  const bytes = writer.encode(message({ csid: 3, payload }));
  const got: RtmpMessage[] = [];
  for (let i = 0; i < bytes.length; i++) {
    got.push(...reader.read(bytes.subarray(i, i + 1)));
    if (i === 100) t.equal(reader.heldBytes, 101, 'holds what arrived');
  }
  t.equal(got.length, 1);
  t.ok(Buffer.from(got[0]!.payload).equals(Buffer.from(payload)));
  t.equal(reader.heldBytes, 0, 'nothing held once the message is complete');
});

t.test("node-media-server's chunk parser reads our chunks, extended timestamps included", async (t) => {
  const Rtmp = nmsReference.RtmpServerProtocol as new () => {
    handshakeState: number;
    parserData(data: Buffer): string | null;
    onPacketCallback: (packet: { codec_type: number; dts: number; size: number; data: Buffer }) => void;
  };
  const rtmp = new Rtmp();
  rtmp.handshakeState = 3; // handshake done
  const got: Array<{ type: number; dts: number; body: string }> = [];
  rtmp.onPacketCallback = (packet) => got.push({ type: packet.codec_type, dts: packet.dts, body: packet.data.subarray(0, packet.size).toString('hex') });
  const writer = new ChunkWriter();
  const chunks = [writer.encode(message({ csid: 2, type: 1, payload: hex('00001000') }))];
  writer.chunkSize = 4096;
  const video = new Uint8Array(10_000).map((_, i) => i & 0xff);
  const times = [0, 33, 0xfffff0, 0x1000010, 0x1000010 + 33];
  for (const timestamp of times) {
    chunks.push(writer.encode(message({ csid: 6, type: 9, streamId: 1, timestamp, payload: video })));
    chunks.push(writer.encode(message({ csid: 4, type: 8, streamId: 1, timestamp, payload: hex('af01 2110') })));
  }
  t.equal(rtmp.parserData(Buffer.concat(chunks)), null);
  t.same(got.filter((p) => p.type === 9).map((p) => p.dts), times);
  t.same(got.filter((p) => p.type === 8).map((p) => p.dts), times);
  t.ok(got.filter((p) => p.type === 9).every((p) => p.body === Buffer.from(video).toString('hex')), 'video bodies intact');
});
