/**
 * The demuxer's layers on short hand-made inputs, one rule each: the timeline's wrap and
 * re-anchoring, PES reassembly's continuity rules, PSI sections across packets and their CRC,
 * PES timestamps past 2^32, Annex B access units, ADTS headers. Packets are written with the
 * muxer's own writers (media/ts-packet.ts, media/pes.ts) and read back.
 */
import t from 'tap';
import { crc32Mpeg } from '../../src/media/crc32-mpeg.js';
import { STREAM_ID_VIDEO, writePesHeader } from '../../src/media/pes.js';
import { NO_PCR, TS_PACKET_SIZE, writePacketPrefix } from '../../src/media/ts-packet.js';
import { TsMuxer } from '../../src/media/ts-muxer.js';
import { readAdtsFrame } from '../../src/mpegts/adts-frame.js';
import { readAnnexBAccessUnit } from '../../src/mpegts/annex-b-access-unit.js';
import { MpegTsDemuxer, type MpegTsEvent } from '../../src/mpegts/mpegts-demuxer.js';
import { PesAssembler, type PesOutcome } from '../../src/mpegts/pes-assembler.js';
import { readPesHeader } from '../../src/mpegts/pes-header.js';
import { readProgramMap } from '../../src/mpegts/program-tables.js';
import { PsiSectionAssembler } from '../../src/mpegts/psi-section-assembler.js';
import { readTsPacketHeader } from '../../src/mpegts/ts-packet-header.js';
import { TsPacketSync } from '../../src/mpegts/ts-packet-sync.js';
import { TIMELINE_START_MS, TsTimeline } from '../../src/mpegts/ts-timeline.js';

/** One packet of `pid` carrying `payload` (at most 182 bytes with `discontinuity`, else 184). */
function packet(pid: number, unitStart: boolean, counter: number, payload: Uint8Array, discontinuity = false): Uint8Array {
  const out = new Uint8Array(TS_PACKET_SIZE);
  // random_access gives the packet an adaptation field with a flags byte, where discontinuity goes.
  const at = writePacketPrefix(out, 0, pid, unitStart, counter, payload.length, NO_PCR, discontinuity);
  if (discontinuity) out[5]! |= 0x80;
  out.set(payload, at);
  return out;
}

function feed(assembler: PesAssembler, packets: Uint8Array[]): Array<string> {
  const outcomes: string[] = [];
  const report = (outcome: PesOutcome) => outcomes.push(outcome.kind === 'pes' ? `pes ${outcome.data.length}` : `dropped: ${outcome.reason}`);
  for (const bytes of packets) assembler.push(readTsPacketHeader(bytes, 0)!, bytes, TS_PACKET_SIZE, report);
  return outcomes;
}

/** A PES with a PTS and the given payload size, PES_packet_length set (bounded) or 0. */
function pes(payloadSize: number, bounded: boolean): Uint8Array {
  const out = new Uint8Array(14 + payloadSize).fill(0xab);
  writePesHeader(out, 0, STREAM_ID_VIDEO, payloadSize, 90_000, 90_000);
  if (!bounded) out.fill(0, 4, 6);
  return out;
}

t.test('timeline: a 33-bit wrap is a small step; a reset carries on one frame later; a track may start a little early', async (t) => {
  const timeline = new TsTimeline();
  const nearWrap = 2 ** 33 - 1800;
  t.same(timeline.place('video', nearWrap, nearWrap + 3600), { dtsMs: TIMELINE_START_MS, ptsMs: TIMELINE_START_MS + 40 });
  t.same(timeline.place('audio', nearWrap - 63_000, nearWrap - 63_000), { dtsMs: TIMELINE_START_MS - 700, ptsMs: TIMELINE_START_MS - 700 }, 'audio 0.7 s ahead keeps its place');
  // 3600 ticks later, across the wrap: PTS 2 frames after DTS, itself wrapped.
  t.same(timeline.place('video', 1800, 1800 + 7200), { dtsMs: TIMELINE_START_MS + 40, ptsMs: TIMELINE_START_MS + 120 });
  // An encoder restart: its timestamps start an hour earlier.
  const restart = 2 ** 33 - 3600 * 90_000;
  t.same(timeline.place('video', restart, restart), { dtsMs: TIMELINE_START_MS + 80, ptsMs: TIMELINE_START_MS + 80 }, 'one frame after the latest');
  t.same(timeline.place('video', restart + 3600, restart + 3600), { dtsMs: TIMELINE_START_MS + 120, ptsMs: TIMELINE_START_MS + 120 }, 'and on from there');
  // A leap forward by an hour is re-anchored too.
  const leap = (restart + 3600 + 3600 * 90_000) % 2 ** 33;
  t.same(timeline.place('video', leap, leap), { dtsMs: TIMELINE_START_MS + 160, ptsMs: TIMELINE_START_MS + 160 });
});

t.test('PES reassembly: bounded PES complete with their last byte; duplicates are ignored; a gap drops the PES', async (t) => {
  const bounded = pes(300, true);
  const first = bounded.subarray(0, 184);
  const rest = bounded.subarray(184);
  t.same(feed(new PesAssembler(4096), [packet(0x100, true, 0, first), packet(0x100, false, 1, rest)]), ['pes 314'], 'out as soon as it is complete');
  t.same(
    feed(new PesAssembler(4096), [packet(0x100, true, 0, first), packet(0x100, true, 0, first), packet(0x100, false, 1, rest)]),
    ['pes 314'],
    'a packet sent twice counts once',
  );
  t.same(
    feed(new PesAssembler(4096), [packet(0x100, true, 0, first), packet(0x100, false, 2, rest), packet(0x100, true, 3, first), packet(0x100, false, 4, rest)]),
    ['dropped: 1 TS packet(s) lost (continuity counter 0 then 2)', 'pes 314'],
    'a lost packet drops its PES; the next one starts afresh',
  );
  t.same(
    feed(new PesAssembler(4096), [packet(0x100, true, 5, first), packet(0x100, false, 9, rest.subarray(0, 100), true), packet(0x100, false, 10, rest.subarray(100))]),
    ['pes 314'],
    'the discontinuity indicator makes a counter jump legitimate',
  );
  const damaged = packet(0x100, false, 1, rest);
  damaged[1]! |= 0x80;
  t.same(feed(new PesAssembler(4096), [packet(0x100, true, 0, first), damaged]), ['dropped: a TS packet arrived damaged (transport_error_indicator)']);
});

t.test('PES reassembly: an unbounded PES ends at the next start or at flush; a large one is dropped', async (t) => {
  const unbounded = pes(170, false);
  const assembler = new PesAssembler(4096);
  t.same(feed(assembler, [packet(0x100, true, 0, unbounded), packet(0x100, false, 1, new Uint8Array(100))]), [], 'not complete while it may go on');
  t.same(feed(assembler, [packet(0x100, true, 2, unbounded)]), ['pes 284'], 'complete when the next one starts');
  const outcomes: string[] = [];
  assembler.flush((outcome) => outcomes.push(outcome.kind));
  t.same(outcomes, ['pes'], 'the last one comes out at the end of the stream');
  const small = new PesAssembler(300);
  t.same(feed(small, [packet(0x100, true, 0, unbounded), packet(0x100, false, 1, new Uint8Array(184))]), ['dropped: PES larger than 300 bytes']);
  t.same(feed(small, [packet(0x100, false, 2, new Uint8Array(184))]), [], 'the rest of it is ignored until the next start');
});

t.test('PSI: a PMT across two packets is read; a bad CRC is not', async (t) => {
  // 40 streams of 5 bytes: 200 bytes of entries, more than one packet holds.
  const streams = Array.from({ length: 40 }, (_unused, i) => ({ streamType: i === 7 ? 0x1b : 0x06, pid: 0x100 + i }));
  const sectionLength = 9 + 5 * streams.length + 4;
  const section = new Uint8Array(3 + sectionLength);
  section.set([0x02, 0xb0 | (sectionLength >> 8), sectionLength & 0xff, 0, 1, 0xc1 | (3 << 1), 0, 0, 0xe1, 0x00, 0xf0, 0x00]);
  streams.forEach((stream, i) => section.set([stream.streamType, 0xe0 | (stream.pid >> 8), stream.pid & 0xff, 0xf0, 0], 12 + 5 * i));
  const crc = crc32Mpeg(section, 0, section.length - 4);
  section.set([crc >>> 24, (crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff], section.length - 4);
  const payload = new Uint8Array([0, ...section]);
  const packets = [packet(0x1000, true, 0, payload.subarray(0, 184)), packet(0x1000, false, 1, payload.subarray(184))];
  const read = (bytes: Uint8Array[]) => {
    const assembler = new PsiSectionAssembler();
    let done: Uint8Array | undefined;
    for (const one of bytes) {
      const header = readTsPacketHeader(one, 0)!;
      done = assembler.push(one, header.payloadStart, TS_PACKET_SIZE, header.payloadUnitStart)?.slice() ?? done;
    }
    return done && readProgramMap(done);
  };
  const map = read(packets);
  t.equal(map?.version, 3);
  t.same(map?.streams, streams, 'every stream, in order');
  const corrupt = packets.map((one) => one.slice());
  corrupt[1]![TS_PACKET_SIZE - 10]! ^= 0x01;
  t.equal(read(corrupt), undefined, 'a section whose CRC fails is dropped');
});

t.test('PES header: 33-bit timestamps, and what is wrong with a broken one', async (t) => {
  const out = new Uint8Array(19 + 10);
  const pts = 2 ** 33 - 5;
  const dts = 2 ** 32 + 12_345;
  writePesHeader(out, 0, STREAM_ID_VIDEO, 10, pts, dts);
  t.same(readPesHeader(out), { pts, dts, payloadOffset: 19 });
  t.match(readPesHeader(out.subarray(0, 8)), /shorter than its header/);
  t.match(readPesHeader(new Uint8Array([0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 40, 0, 0, 0, 0, 0])), /runs past/);
  t.match(readPesHeader(new Uint8Array([0, 0, 2, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1])), /00 00 01/);
});

t.test('Annex B access unit: NAL units between 3- and 4-byte start codes, parameter sets apart, IDR found', async (t) => {
  const data = new Uint8Array([
    0, 0, 0, 1, 0x09, 0xf0, // AUD
    0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, // SPS
    0, 0, 1, 0x68, 0xee, 0x3c, 0x80, // PPS
    0, 0, 1, 0x06, 0x05, 0x01, 0x80, // SEI
    0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, // IDR slice, trailing zeros
    0, 0, 1, 0x0c, 0xff, 0xff, // filler
  ]);
  const unit = readAnnexBAccessUnit(data);
  t.equal(unit.keyframe, true);
  t.same(unit.sps.map((nal) => [...nal]), [[0x67, 0x64, 0x00, 0x1f, 0xac]]);
  t.same(unit.pps.map((nal) => [...nal]), [[0x68, 0xee, 0x3c, 0x80]]);
  t.same(unit.units.map((nal) => [...nal]), [[0x06, 0x05, 0x01, 0x80], [0x65, 0x88, 0x84]], 'SEI and slice; delimiter and filler left out');
  t.equal(unit.avccSize, 4 + 4 + 4 + 3);
  t.equal(readAnnexBAccessUnit(new Uint8Array([0, 0, 1, 0x41, 0x9a])).keyframe, false, 'a non-IDR slice');
});

t.test('ADTS: header with and without CRC, partial frames, and what RTMP cannot carry', async (t) => {
  // AAC-LC (profile 1), 48 kHz (index 3), stereo, 20-byte frame, no CRC.
  const header = (length: number, protectionAbsent = true, blocks = 1) =>
    new Uint8Array([0xff, protectionAbsent ? 0xf1 : 0xf0, (1 << 6) | (3 << 2), (2 << 6) | (length >> 11), (length >> 3) & 0xff, ((length & 7) << 5) | 0x1f, 0xfc | (blocks - 1)]);
  const frame = new Uint8Array(20);
  frame.set(header(20));
  t.same(readAdtsFrame(frame, 0), { objectType: 2, samplingFrequencyIndex: 3, channelConfig: 2, rawStart: 7, frameEnd: 20 });
  const withCrc = new Uint8Array(20);
  withCrc.set(header(20, false));
  t.match(readAdtsFrame(withCrc, 0), { rawStart: 9, frameEnd: 20 }, 'the CRC is skipped');
  t.equal(readAdtsFrame(frame.subarray(0, 19), 0), 'partial');
  t.equal(readAdtsFrame(frame.subarray(0, 5), 0), 'partial');
  const twoBlocks = new Uint8Array(20);
  twoBlocks.set(header(20, true, 2));
  t.match(readAdtsFrame(twoBlocks, 0), /2 raw data blocks/);
  t.match(readAdtsFrame(new Uint8Array(20), 0), /no ADTS sync word/);
});

t.test('an SPS too short to read drops its frame with the reason, never throws', async (t) => {
  const muxer = new TsMuxer({ video: true, audio: false });
  muxer.beginSegment();
  const accessUnit = (sps: number[]) => new Uint8Array([0, 0, 0, 1, ...sps, 0, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84]);
  muxer.writeVideo(accessUnit([0x67, 0x64]), 0, 0, true);
  // High profile, but the record's fields cannot be read from what follows.
  muxer.writeVideo(accessUnit([0x67, 0x64, 0x00, 0x1f]), 40, 40, true);
  muxer.writeVideo(accessUnit([0x67]), 80, 80, true);
  const bytes = new Uint8Array(Buffer.concat(muxer.endSegment()));
  let events: MpegTsEvent[] = [];
  t.doesNotThrow(() => {
    const demuxer = new MpegTsDemuxer();
    events = [...demuxer.push(bytes), ...demuxer.end()];
  });
  t.same(events.filter((event) => event.kind === 'tag'), [], 'nothing made of them comes out');
  t.match(events.filter((event) => event.kind === 'dropped'), [{ track: 'video', reason: /SPS/ }, { track: 'video', reason: /SPS/ }, { track: 'video', reason: /SPS/ }]);
});

t.test('packet sync holds at most a packet and a confirmation between calls, whatever arrives', async (t) => {
  const sync = new TsPacketSync();
  const packets: number[] = [];
  const visit = (data: Uint8Array, offset: number) => packets.push(data[offset + 1]!);
  let most = 0;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i += 1) {
    // Mostly sync bytes, so candidates keep waiting for their confirmation.
    const chunk = new Uint8Array(1 + Math.floor(random() * 300)).map(() => (random() < 0.5 ? 0x47 : 0));
    sync.push(chunk, visit);
    most = Math.max(most, sync.heldBytes);
  }
  t.ok(most <= 2 * TS_PACKET_SIZE, `held at most ${most} bytes`);
  const aligned = new Uint8Array(5 * TS_PACKET_SIZE);
  for (let i = 0; i < 5; i += 1) aligned.set([0x47, i], i * TS_PACKET_SIZE);
  const fresh = new TsPacketSync();
  packets.length = 0;
  t.equal(fresh.push(new Uint8Array([1, 2, 3, ...aligned.subarray(0, 400)]), visit), 3, 'three bytes skipped');
  fresh.push(aligned.subarray(400), visit);
  t.same(packets, [0, 1, 2, 3, 4], 'every packet once, in order, across the split');
  t.equal(fresh.heldBytes, 0);
});
