import t from 'tap';
import { PCR_DELAY_90KHZ, TIMESTAMP_OFFSET_90KHZ, TS_CHUNK_BYTES, TsChunkPool, TsMuxer } from '../../src/media/ts-muxer.js';
import { readPackets, readPes, readPmt, readSection, type TsPacket } from './fixtures/ts-reader.js';

const ticks = (ms: number) => ms * 90 + TIMESTAMP_OFFSET_90KHZ;

/** Access unit of `size` bytes with a recognisable pattern. */
function accessUnit(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + seed) & 0xff;
  return data;
}

/** Counter breaks, per PID; `last` holds each PID's last counter and is updated. */
function continuityBreaks(packets: TsPacket[], last: Map<number, number>): string[] {
  const breaks: string[] = [];
  for (const p of packets) {
    const previous = last.get(p.pid);
    if (previous !== undefined && p.continuityCounter !== ((previous + 1) & 0x0f)) {
      breaks.push(`PID ${p.pid}: counter ${p.continuityCounter} after ${previous}`);
    }
    last.set(p.pid, p.continuityCounter);
  }
  return breaks;
}

t.test('a segment: PAT, PMT, then PES with PCR and random access on keyframes', async (t) => {
  const muxer = new TsMuxer({ video: true, audio: true });
  muxer.beginSegment();
  const frames = [accessUnit(5000, 1), accessUnit(700, 2), accessUnit(183, 3), accessUnit(184, 4)];
  muxer.writeVideo(frames[0]!, 0, 66, true);
  muxer.writeAudio(accessUnit(300, 5), 10);
  muxer.writeVideo(frames[1]!, 33, 33, false);
  muxer.writeVideo(frames[2]!, 66, 133, false);
  muxer.writeVideo(frames[3]!, 150, 150, false);
  const segment = muxer.endSegment();
  const packets = readPackets(segment);
  t.match(packets.slice(0, 2), [{ pid: 0 }, { pid: 0x1000 }], 'PAT then PMT');
  t.ok(readSection(packets[0]!.payload).crcOk);
  t.same(readPmt(readSection(packets[1]!.payload)), {
    pcrPid: 0x100,
    streams: [{ streamType: 0x1b, pid: 0x100 }, { streamType: 0x0f, pid: 0x101 }],
  });
  t.same(continuityBreaks(packets, new Map()), [], 'continuity counters increment per PID');

  const pes = readPes(packets);
  const video = pes.filter((p) => p.pid === 0x100);
  t.same(video.map((p) => Buffer.from(p.data).equals(frames[video.indexOf(p)]!)), [true, true, true, true]);
  t.same(video.map((p) => p.streamId), [0xe0, 0xe0, 0xe0, 0xe0]);
  t.same(video.map((p) => p.pts), [ticks(66), ticks(33), ticks(133), ticks(150)]);
  t.same(video.map((p) => p.dts), [ticks(0), undefined, ticks(66), undefined], 'DTS only when it differs');
  t.same(video.map((p) => p.randomAccess), [true, false, false, false]);
  t.same(
    video.map((p) => p.pcr),
    [ticks(0) - PCR_DELAY_90KHZ, undefined, undefined, ticks(150) - PCR_DELAY_90KHZ],
    'PCR on the keyframe, then once 100 ms have passed',
  );
  const [audio] = pes.filter((p) => p.pid === 0x101);
  t.match(audio, { streamId: 0xc0, pts: ticks(10), dts: undefined, pcr: undefined, randomAccess: true, packetLength: 3 + 5 + 300 });
});

t.test('counters carry on across segments; each segment restarts with PSI and a PCR', async (t) => {
  const muxer = new TsMuxer({ video: true, audio: false });
  muxer.beginSegment();
  for (let i = 0; i < 20; i++) muxer.writeVideo(accessUnit(1000, i), i * 33, i * 33, i === 0);
  const first = readPackets(muxer.endSegment());
  muxer.beginSegment();
  muxer.writeVideo(accessUnit(1000, 0), 660, 660, false);
  const second = readPackets(muxer.endSegment());
  t.same(readPmt(readSection(first[1]!.payload)).streams, [{ streamType: 0x1b, pid: 0x100 }], 'video only');
  const counters = new Map<number, number>();
  t.same(continuityBreaks(first, counters), []);
  t.equal(counters.get(0x100), (20 * 6 - 1) & 0x0f, '6 packets per 1000-byte access unit');
  t.same(continuityBreaks(second, counters), [], 'no break between segments');
  t.match(second.slice(0, 3), [{ pid: 0 }, { pid: 0x1000 }, { pid: 0x100, pcr: ticks(660) - PCR_DELAY_90KHZ }]);
});

t.test('audio-only: PCR and random access on the audio PID', async (t) => {
  const muxer = new TsMuxer({ video: false, audio: true });
  muxer.beginSegment();
  muxer.writeAudio(accessUnit(400, 1), 0);
  muxer.writeAudio(accessUnit(400, 2), 50);
  muxer.writeAudio(accessUnit(400, 3), 100);
  const packets = readPackets(muxer.endSegment());
  t.equal(readPmt(readSection(packets[1]!.payload)).pcrPid, 0x101);
  const pes = readPes(packets);
  t.same(pes.map((p) => p.pcr !== undefined), [true, false, true]);
  t.same(pes.map((p) => p.randomAccess), [true, true, true], 'every AAC frame is a random access point');
});

t.test('timestamps past 2^33 ticks wrap', async (t) => {
  const muxer = new TsMuxer({ video: true, audio: false });
  muxer.beginSegment();
  // 26.5 hours in: 2^33 ticks is 95443717.7 ms
  const ms = 95_443_800;
  muxer.writeVideo(accessUnit(10, 0), ms, ms + 40, true);
  const [pes] = readPes(readPackets(muxer.endSegment()));
  t.equal(pes!.dts, (ms * 90 + TIMESTAMP_OFFSET_90KHZ) % 2 ** 33);
  t.equal(pes!.pts, ((ms + 40) * 90 + TIMESTAMP_OFFSET_90KHZ) % 2 ** 33);
  t.equal(pes!.pcr, (ms * 90 + TIMESTAMP_OFFSET_90KHZ - PCR_DELAY_90KHZ) % 2 ** 33);
});

t.test('a large segment spans many chunks, whole packets each, and the output is an exact copy', async (t) => {
  const muxer = new TsMuxer({ video: true, audio: false });
  muxer.beginSegment();
  const big = accessUnit(3_000_000, 9);
  muxer.writeVideo(big, 0, 0, true);
  const bytes = muxer.segmentBytes;
  const segment = muxer.endSegment();
  t.ok(segment.length > 40, `${segment.length} chunks`);
  t.same(segment.slice(0, -1).map((chunk) => chunk.length), segment.slice(0, -1).map(() => TS_CHUNK_BYTES), 'every chunk but the last is full');
  t.equal(segment.reduce((sum, chunk) => sum + chunk.length, 0), bytes);
  t.ok(segment.every((chunk) => chunk.length % 188 === 0 && chunk[0] === 0x47), 'no packet straddles two chunks');
  const [pes] = readPes(readPackets(segment));
  t.equal(pes!.packetLength, 0, 'unbounded PES length for a large video frame');
  t.ok(Buffer.from(pes!.data).equals(big));
});

t.test('chunks given back are what later segments are made of, and spares are capped', async (t) => {
  const pool = new TsChunkPool(4);
  const muxer = new TsMuxer({ video: true, audio: false }, pool);
  muxer.beginSegment();
  muxer.writeVideo(accessUnit(200_000, 1), 0, 0, true);
  const first = muxer.endSegment();
  t.equal(first.length, 4, '200 KB: three full chunks and part of a fourth');
  pool.give(first);
  t.equal(pool.spareCount, 4, 'all four are spare (the muxer took a fresh one for the next segment)');
  muxer.beginSegment();
  muxer.writeVideo(accessUnit(200_000, 2), 40, 40, true);
  const second = muxer.endSegment();
  t.equal(new Set([...first, ...second].map((chunk) => chunk.buffer)).size, 5, 'the second segment reuses the first one\'s chunks');
  t.same(readPes(readPackets(second)).map((p) => Buffer.from(p.data).equals(accessUnit(200_000, 2))), [true], 'and none of the old bytes show');
  pool.give([...second, ...Array.from({ length: 10 }, () => new Uint8Array(TS_CHUNK_BYTES))]);
  t.equal(pool.spareCount, 4, 'spares beyond the cap are left to the collector');
});

t.test('a muxer needs a track', async (t) => {
  t.throws(() => new TsMuxer({ video: false, audio: false }), RangeError);
});
