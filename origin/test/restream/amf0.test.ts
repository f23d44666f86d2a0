import t from 'tap';
import { nmsReference } from '../../src/ingest/nms-rtmp-connection.js';
import { AmfEcmaArray, decodeAmf0, encodeAmf0, readAmf0Value } from '../../src/restream/amf0.js';
import { hex } from '../media/fixtures/ts-reader.js';

const nmsAmf = nmsReference.amf0 as {
  decodeAmf0Cmd(data: Buffer): Record<string, unknown>;
  encodeAmf0Cmd(opt: Record<string, unknown>): Buffer;
};

const PROTOCOL = { code: 'RESTREAM_ERR_PROTOCOL' };

t.test('scalars, as the spec lays them out', async (t) => {
  // number: marker 0x00 + IEEE 754 double, big-endian
  t.same(encodeAmf0([1]), hex('00 3ff0000000000000'));
  // boolean: marker 0x01 + one byte
  t.same(encodeAmf0([true, false]), hex('01 01  01 00'));
  // string: marker 0x02 + 16-bit length + UTF-8
  t.same(encodeAmf0(['connect']), hex('02 0007 636f6e6e656374'));
  // null 0x05, undefined 0x06
  t.same(encodeAmf0([null, undefined]), hex('05 06'));
  // date: marker 0x0b + double + 16-bit time zone (0)
  t.same(encodeAmf0([new Date(0)]), hex('0b 0000000000000000 0000'));
  t.same(decodeAmf0(hex('00 3ff0000000000000 01 01 02 0002 6869 05 06')), [1, true, 'hi', null, undefined]);
});

t.test('objects, ECMA arrays and strict arrays', async (t) => {
  // object: 0x03, then (16-bit key length, key, value)*, then 00 00 09
  const object = hex('03 0003 617070 02 0004 6c697665  0000 09');
  t.same(encodeAmf0([{ app: 'live' }]), object);
  t.same(decodeAmf0(object), [{ app: 'live' }]);
  // ECMA array: 0x08 + 32-bit count + properties + 00 00 09
  const ecma = hex('08 00000001 0005 7769647468 00 4084000000000000 0000 09');
  t.same(encodeAmf0([new AmfEcmaArray({ width: 640 })]), ecma);
  const [decoded] = decodeAmf0(ecma);
  t.ok(decoded instanceof AmfEcmaArray);
  t.same((decoded as AmfEcmaArray).entries, { width: 640 });
  // strict array: 0x0a + 32-bit count + values
  const strict = hex('0a 00000002 00 3ff0000000000000 05');
  t.same(encodeAmf0([[1, null]]), strict);
  t.same(decodeAmf0(strict), [[1, null]]);
});

t.test('long strings switch to the 32-bit length marker', async (t) => {
  const text = 'x'.repeat(70_000);
  const bytes = encodeAmf0([text]);
  t.equal(bytes[0], 0x0c);
  t.equal(bytes.length, 5 + 70_000);
  t.same(decodeAmf0(bytes), [text]);
});

t.test('a command round trip, and node-media-server reads what we write', async (t) => {
  const values = ['connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: 'rtmp://h/live', n: 2.5, ok: true }];
  const bytes = encodeAmf0(values);
  t.same(decodeAmf0(bytes), values);
  const theirs = nmsAmf.decodeAmf0Cmd(Buffer.from(bytes));
  t.match(theirs, { cmd: 'connect', transId: 1, cmdObj: { app: 'live', tcUrl: 'rtmp://h/live', flashVer: 'FMLE/3.0' } });
  const status = nmsAmf.encodeAmf0Cmd({
    cmd: 'onStatus', transId: 0, cmdObj: null, info: { level: 'status', code: 'NetStream.Publish.Start', description: 'go' },
  });
  t.same(decodeAmf0(status), ['onStatus', 0, null, { level: 'status', code: 'NetStream.Publish.Start', description: 'go' }]);
});

t.test('UTF-8 keys and values', async (t) => {
  const values = [{ 'tïtle': 'Ünïcode ✓' }];
  t.same(decodeAmf0(encodeAmf0(values)), values);
});

t.test('readAmf0Value reads one value and says where the next starts', async (t) => {
  const bytes = hex('02 0002 6869 00 4000000000000000');
  const first = readAmf0Value(bytes, 0);
  t.same(first, { value: 'hi', next: 5 });
  t.same(readAmf0Value(bytes, first.next), { value: 2, next: 14 });
});

t.test('malformed input is a protocol error, not a crash or a huge allocation', async (t) => {
  t.throws(() => decodeAmf0(hex('00 3ff0')), PROTOCOL, 'number cut short');
  t.throws(() => decodeAmf0(hex('02 0010 6869')), PROTOCOL, 'string longer than the data');
  t.throws(() => decodeAmf0(hex('0a ffffffff 05')), PROTOCOL, 'a strict array count that cannot be');
  t.throws(() => decodeAmf0(hex('03 0001 61 05')), PROTOCOL, 'object without its end marker');
  t.throws(() => decodeAmf0(hex('11 00')), /unsupported AMF0 marker 0x11/, 'AMF3 switch');
  t.throws(() => decodeAmf0(new Uint8Array(200).fill(0x0a).map((_, i) => (i % 5 === 0 ? 0x0a : i % 5 === 4 ? 1 : 0))), PROTOCOL, 'deep nesting');
  // A "__proto__" key from the wire is data, not a prototype change.
  const [object] = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 02 0001 78 0000 09')) as [Record<string, unknown>];
  t.equal(Object.getPrototypeOf(object), Object.prototype);
  t.equal(object.__proto__ === 'x' || Object.getOwnPropertyDescriptor(object, '__proto__')?.value === 'x', true);
});
