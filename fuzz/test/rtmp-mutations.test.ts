import { createHash } from 'node:crypto';
import t from 'tap';
import { ChunkReader } from '../../origin/src/restream/rtmp-chunk-reader.js';
import { ChunkWriter, type RtmpMessage } from '../../origin/src/restream/rtmp-chunk-writer.js';
import { encodeCommand, uint32Payload } from '../../origin/src/restream/rtmp-messages.js';
import { layOutChunks } from '../rtmp-chunk-layout.js';
import { fuzzSession, MAX_SESSION_BYTES } from '../rtmp-mutations.js';
import { CLIENT_HANDSHAKE_SIZE, parseRecording, RECORDED_STREAM_NAME, sessionStreamName } from '../rtmp-recording.js';

/** What an encoder sends, in the shape ffmpeg sends it (chunk size 4096 announced first). */
const messages: RtmpMessage[] = [
  { csid: 3, type: 20, streamId: 0, timestamp: 0, payload: encodeCommand('connect', 1, { app: 'stream', tcUrl: 'rtmp://127.0.0.1/stream' }) },
  { csid: 3, type: 20, streamId: 0, timestamp: 0, payload: encodeCommand('releaseStream', 2, null, RECORDED_STREAM_NAME) },
  { csid: 3, type: 20, streamId: 0, timestamp: 0, payload: encodeCommand('createStream', 3, null) },
  { csid: 8, type: 20, streamId: 1, timestamp: 0, payload: encodeCommand('publish', 4, null, RECORDED_STREAM_NAME, 'live') },
  // AVC sequence header, a keyframe bigger than a chunk, AAC, a frame with an extended timestamp.
  { csid: 6, type: 9, streamId: 1, timestamp: 0, payload: Uint8Array.from([0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e]) },
  { csid: 6, type: 9, streamId: 1, timestamp: 0, payload: Uint8Array.from({ length: 9000 }, (_, i) => (i === 0 ? 0x17 : i % 251)) },
  { csid: 4, type: 8, streamId: 1, timestamp: 21, payload: Uint8Array.from([0xaf, 1, 2, 3]) },
  { csid: 6, type: 9, streamId: 1, timestamp: 0x1000000, payload: Uint8Array.from({ length: 300 }, (_, i) => (i === 0 ? 0x27 : i % 13)) },
];

function recordingBytes(): Uint8Array {
  const writer = new ChunkWriter();
  const parts: Uint8Array[] = [new Uint8Array(CLIENT_HANDSHAKE_SIZE).fill(3, 0, 1)];
  parts.push(writer.encode({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: uint32Payload(4096) }));
  writer.chunkSize = 4096;
  for (const message of messages) parts.push(writer.encode(message));
  return Buffer.concat(parts);
}

const recording = parseRecording('synthetic', recordingBytes());
const content = (list: readonly RtmpMessage[]) =>
  list.map(({ type, streamId, timestamp, payload }) => `${type}/${streamId}/${timestamp}/${payload.length}/${createHash('sha1').update(payload).digest('hex')}`);

t.test('a recording is parsed into the messages that were sent', async (t) => {
  t.same(content(recording.messages), content(messages));
  t.equal(recording.handshake.length, CLIENT_HANDSHAKE_SIZE);
});

t.test('every layout of valid messages reads back the same through a chunk reader', async (t) => {
  const layouts = [
    { chunkSize: 128, csids: messages.map((m) => m.csid), interleave: 1, compress: false },
    { chunkSize: 4096, csids: messages.map((m) => m.csid), interleave: 1, compress: true },
    { chunkSize: 129, csids: messages.map((_, i) => 64 + i), interleave: 1, compress: true },
    { chunkSize: 128, csids: messages.map((_, i) => 320 + i * 1000), interleave: 3, compress: false },
  ];
  for (const layout of layouts) {
    const announce: RtmpMessage = { csid: 2, type: 1, streamId: 0, timestamp: 0, payload: uint32Payload(layout.chunkSize) };
    const { bytes, lengthFields } = layOutChunks([announce, ...messages], { ...layout, csids: [2, ...layout.csids] }, MAX_SESSION_BYTES);
    // Interleaved, a short message completes before a long one that started first.
    const order = (list: string[]) => (layout.interleave > 1 ? [...list].sort() : list);
    t.same(order(content(new ChunkReader().read(bytes))), order(content(messages)), `chunks of ${layout.chunkSize}, interleave ${layout.interleave}`);
    // Each length field holds its message's length (24 bits).
    const lengths = lengthFields.slice(1).map((at) => (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!);
    t.same(lengths, messages.map((m) => m.payload.length));
  }
});

t.test('a layout stops at its byte limit', async (t) => {
  const big: RtmpMessage = { csid: 6, type: 9, streamId: 1, timestamp: 0, payload: new Uint8Array(100_000) };
  const { bytes } = layOutChunks([big], { chunkSize: 128, csids: [6], interleave: 1, compress: false }, 10_000);
  t.ok(bytes.length <= 10_000 && bytes.length > 9000, `${bytes.length} bytes`);
});

t.test('a session is the same for the same seed, whatever ran before it, and renamed for its seed', async (t) => {
  const original = Buffer.from(recording.bytes).toString('hex');
  for (const seed of [1, 2, 77, 4_000_000_000]) {
    const a = fuzzSession([recording], seed);
    for (let other = 1; other < 50; other += 1) fuzzSession([recording], seed + other);
    const b = fuzzSession([recording], seed);
    t.same(a.mutations, b.mutations);
    t.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), `seed ${seed}: same bytes`);
    t.equal(a.streamName, sessionStreamName(seed));
    t.equal(a.streamName.length, RECORDED_STREAM_NAME.length);
  }
  t.not(Buffer.from(fuzzSession([recording], 1).bytes).toString('hex'), Buffer.from(fuzzSession([recording], 2).bytes).toString('hex'));
  t.equal(Buffer.from(recording.bytes).toString('hex'), original, 'the recording itself never changes');
});

t.test('an unmutated session is the recording under its own name', async (t) => {
  const session = [...Array(200).keys()].map((seed) => fuzzSession([recording], seed)).find((s) => s.mutations.join() === 'as recorded');
  t.ok(session, 'some seeds send the recording as it was');
  const text = Buffer.from(session!.bytes).toString('latin1');
  t.notOk(text.includes(RECORDED_STREAM_NAME));
  t.equal(Buffer.from(session!.bytes).toString('latin1').replaceAll(session!.streamName, RECORDED_STREAM_NAME), Buffer.from(recording.bytes).toString('latin1'));
});

t.test('over many seeds every kind of mutation is made, and no session is over the size limit', async (t) => {
  const kinds = new Set<string>();
  for (let seed = 0; seed < 2000; seed += 1) {
    const session = fuzzSession([recording], seed);
    t.ok(session.bytes.length <= MAX_SESSION_BYTES || t.fail(`seed ${seed}: ${session.bytes.length} bytes`));
    for (const mutation of session.mutations) kinds.add(mutation.replace(/ \(.*$/, '').replace(/^chunks of .*/, 'layout'));
  }
  t.same([...kinds].sort(), [
    'AMF garbage', 'as recorded', 'bit flips', 'control messages', 'corrupt media', 'dropped messages', 'duplicated command',
    'huge length', 'huge message', 'inserted bytes', 'layout', 'media before publish', 'odd stream name', 'repeated bytes',
    'truncated', 'unknown message types', 'wild timestamps',
  ]);
});
