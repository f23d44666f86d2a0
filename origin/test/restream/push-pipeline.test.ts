import t from 'tap';
import { decodeAmf0, encodeAmf0 } from '../../src/restream/amf0.js';
import { PushPipeline, type OutgoingFrame } from '../../src/restream/push-pipeline.js';
import { hex } from '../media/fixtures/ts-reader.js';

const copy = (body: Uint8Array) => body.slice();
const metadata = { type: 18, timestampMs: 0, body: encodeAmf0(['onMetaData', { width: 640 }]) };
const avcConfig = { type: 9, timestampMs: 0, body: hex('17 00 000000 0164001f') };
const aacConfig = { type: 8, timestampMs: 0, body: hex('af 00 1210') };
const key = (ms: number, size = 10) => ({ type: 9, timestampMs: ms, body: Uint8Array.from([0x17, 1, 0, 0, 0, ...new Uint8Array(size)]) });
const inter = (ms: number, size = 10) => ({ type: 9, timestampMs: ms, body: Uint8Array.from([0x27, 1, 0, 0, 0, ...new Uint8Array(size)]) });
const audio = (ms: number) => ({ type: 8, timestampMs: ms, body: hex('af 01 21 00') });

function drain(pipeline: PushPipeline): OutgoingFrame[] {
  const frames: OutgoingFrame[] = [];
  for (let frame = pipeline.shift(); frame; frame = pipeline.shift()) frames.push(frame);
  return frames;
}

const limits = { maxBacklogBytes: 10_000, maxBacklogMs: 1000 };

t.test('headers are kept before the connection; it starts at a keyframe with them', async (t) => {
  const pipeline = new PushPipeline(limits);
  for (const tag of [metadata, avcConfig, aacConfig, key(1000), audio(1010)]) pipeline.accept(tag, copy, 0);
  t.equal(pipeline.queuedFrames, 0, 'nothing queued without a connection');
  pipeline.connectionStarted();
  pipeline.accept(inter(1033), copy, 0);
  pipeline.accept(audio(1040), copy, 0);
  t.equal(pipeline.queuedFrames, 0, 'waiting for a keyframe');
  pipeline.accept(key(2000), copy, 0);
  pipeline.accept(audio(1995), copy, 0);
  pipeline.accept(audio(2010), copy, 0);
  pipeline.accept(inter(2033), copy, 0);
  const frames = drain(pipeline);
  t.same(frames.map((f) => [f.type, f.timestampMs]), [[18, 0], [9, 0], [8, 0], [9, 0], [8, 10], [9, 33]], 'audio older than the keyframe is dropped');
  t.same(decodeAmf0(frames[0]!.body)[0], '@setDataFrame', 'metadata is published with @setDataFrame');
  t.same(frames[1]!.body, avcConfig.body);
  t.equal(pipeline.skippedKeyframes, 0);
  t.equal(pipeline.droppedFrames, 0, 'waiting for the first keyframe is not a skip');
});

t.test('past the byte bound: the queue is dropped and the push restarts at a keyframe, headers again', async (t) => {
  const pipeline = new PushPipeline(limits);
  for (const tag of [metadata, avcConfig, aacConfig]) pipeline.accept(tag, copy, 0);
  pipeline.connectionStarted();
  pipeline.accept(key(0, 1000), copy, 0);
  pipeline.accept(inter(33, 1000), copy, 0);
  t.equal(pipeline.queuedFrames, 5);
  // The connection already holds 9000 unsent bytes.
  pipeline.accept(inter(66, 1000), copy, 9000);
  t.equal(pipeline.skippedKeyframes, 1);
  t.equal(pipeline.queuedFrames, 0);
  t.equal(pipeline.droppedFrames, 6);
  pipeline.accept(inter(100), copy, 0);
  pipeline.accept(audio(110), copy, 0);
  t.equal(pipeline.droppedFrames, 8, 'what arrives before the next keyframe is dropped too');
  pipeline.accept(key(1000), copy, 0);
  t.same(drain(pipeline).map((f) => [f.type, f.timestampMs]), [[18, 1000], [9, 1000], [8, 1000], [9, 1000]]);
});

t.test('past the time bound', async (t) => {
  const pipeline = new PushPipeline(limits);
  pipeline.accept(avcConfig, copy, 0);
  pipeline.connectionStarted();
  for (let ms = 0; ms <= 1000; ms += 100) pipeline.accept(inter(ms), copy, 0);
  pipeline.accept(key(0), copy, 0);
  for (let ms = 33; ms <= 1000; ms += 33) pipeline.accept(inter(ms), copy, 0);
  t.equal(pipeline.skippedKeyframes, 0, 'exactly the bound');
  pipeline.accept(inter(1034), copy, 0);
  t.equal(pipeline.skippedKeyframes, 1);
});

t.test('audio-only streams resume at the newest frame', async (t) => {
  const pipeline = new PushPipeline(limits);
  pipeline.accept(aacConfig, copy, 0);
  pipeline.connectionStarted();
  pipeline.accept(audio(0), copy, 0);
  pipeline.accept(audio(21), copy, 20_000);
  t.equal(pipeline.skippedKeyframes, 1);
  pipeline.accept(audio(42), copy, 0);
  t.same(drain(pipeline).map((f) => [f.type, f.timestampMs]), [[8, 42], [8, 42]], 'AAC config then the frame');
});

t.test('a different sequence header asks for a new publish; the same one is just sent', async (t) => {
  const pipeline = new PushPipeline(limits);
  pipeline.accept(avcConfig, copy, 0);
  pipeline.connectionStarted();
  pipeline.accept(key(0), copy, 0);
  pipeline.accept(avcConfig, copy, 0);
  t.notOk(pipeline.codecChanged);
  t.equal(drain(pipeline).filter((f) => f.body[1] === 0).length, 2, 'a repeated identical header is forwarded');
  pipeline.accept({ type: 9, timestampMs: 40, body: hex('17 00 000000 0164002a') }, copy, 0);
  t.ok(pipeline.codecChanged);
  t.equal(pipeline.queuedFrames, 0, 'the new header is kept for the next connection, not sent');
  pipeline.connectionStarted();
  t.notOk(pipeline.codecChanged);
  pipeline.accept(key(100), copy, 0);
  t.same(drain(pipeline)[0]!.body, hex('17 00 000000 0164002a'));
});

t.test('a publisher that comes back continues the timeline at its first keyframe', async (t) => {
  const pipeline = new PushPipeline(limits);
  pipeline.accept(avcConfig, copy, 0);
  pipeline.connectionStarted();
  pipeline.accept(key(50_000), copy, 0);
  pipeline.accept(inter(50_033), copy, 0);
  pipeline.accept({ type: 9, timestampMs: 50_040, body: hex('17 02 000000') }, copy, 0);
  pipeline.sourceRestarted();
  pipeline.accept(avcConfig, copy, 0);
  pipeline.accept(inter(0), copy, 0);
  pipeline.accept(key(33), copy, 0);
  pipeline.accept(inter(66), copy, 0);
  const times = drain(pipeline).map((f) => [f.type, f.timestampMs, f.body[1]]);
  // The new source's time 0 lands 40 ms after the last frame (33): 73; its keyframe at 33 is 106.
  t.same(times, [[9, 0, 0], [9, 0, 1], [9, 33, 1], [9, 106, 0], [9, 106, 1], [9, 139, 1]], 'no end of sequence, headers again, time goes on');
});

t.test('the queue stays O(1) per frame over long runs', async (t) => {
  const pipeline = new PushPipeline({ maxBacklogBytes: 1e9, maxBacklogMs: 1e9 });
  pipeline.connectionStarted();
  pipeline.accept(key(0), copy, 0);
  let shifted = 0;
  for (let i = 1; i < 20_000; i += 1) {
    pipeline.accept(inter(i * 33), copy, 0);
    if (i % 3 === 0) while (pipeline.shift()) shifted += 1;
  }
  shifted += drain(pipeline).length;
  t.equal(shifted, 20_000);
  t.equal(pipeline.queuedBytes, 0);
});

t.test('a source with a new encoding (a fallback video) sends its headers on the same connection', async (t) => {
  const pipeline = new PushPipeline(limits);
  pipeline.accept(avcConfig, copy, 0);
  pipeline.connectionStarted();
  pipeline.accept(key(0), copy, 0);
  drain(pipeline);
  const otherConfig = { type: 9, timestampMs: 0, body: hex('17 00 000000 0164002a') };
  pipeline.sourceRestarted(true);
  pipeline.accept(otherConfig, copy, 0);
  pipeline.accept(key(0), copy, 0);
  t.notOk(pipeline.codecChanged, 'no new publish');
  t.same(drain(pipeline).map((f) => [f.type, f.body[1], f.timestampMs]), [[9, 0, 40], [9, 1, 40]], 'the new header, then its keyframe, after the old frames');
  pipeline.sourceRestarted(true);
  pipeline.accept(avcConfig, copy, 0);
  pipeline.accept(key(0), copy, 0);
  t.notOk(pipeline.codecChanged, 'and back');
  pipeline.sourceRestarted();
  pipeline.accept(otherConfig, copy, 0);
  pipeline.accept(key(0), copy, 0);
  t.ok(pipeline.codecChanged, 'without the flag a different header still asks for a new publish');
});
