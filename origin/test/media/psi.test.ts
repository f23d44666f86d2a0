import t from 'tap';
import { STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, writePatPacket, writePmtPacket } from '../../src/media/psi.js';
import { readPackets, readPmt, readSection } from './fixtures/ts-reader.js';

t.test('PAT points program 1 at the PMT PID', async (t) => {
  const out = new Uint8Array(188);
  writePatPacket(out, 0, 3, 0x1000);
  const [p] = readPackets(out);
  t.match(p, { pid: 0, payloadUnitStart: true, continuityCounter: 3, adaptationLength: -1 });
  const pat = readSection(p!.payload);
  t.equal(pat.tableId, 0);
  t.equal(pat.sectionLength, 13);
  t.equal(pat.idExtension, 1, 'transport_stream_id');
  t.ok(pat.crcOk);
  // program_number 1, reserved 111 + PMT PID 0x1000
  t.same([...pat.body], [0x00, 0x01, 0xf0, 0x00]);
  t.ok(p!.payload.subarray(1 + 3 + 13).every((b) => b === 0xff), 'rest of the packet is 0xFF');
  // Known-good bytes (ffmpeg writes the same PAT for these values, CRC included).
  t.same([...p!.payload.subarray(1, 17)], [0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2]);
});

t.test('PMT lists video and audio with the PCR on video', async (t) => {
  const out = new Uint8Array(188);
  const streams = [
    { streamType: STREAM_TYPE_H264, pid: 0x100 },
    { streamType: STREAM_TYPE_AAC_ADTS, pid: 0x101 },
  ];
  writePmtPacket(out, 0, 15, 0x1000, 0x100, streams);
  const [p] = readPackets(out);
  t.match(p, { pid: 0x1000, continuityCounter: 15 });
  const section = readSection(p!.payload);
  t.equal(section.tableId, 2);
  t.equal(section.idExtension, 1, 'program_number');
  t.equal(section.sectionLength, 13 + 10);
  t.ok(section.crcOk);
  t.same(readPmt(section), { pcrPid: 0x100, streams });
});

t.test('audio-only PMT carries the PCR on the audio PID', async (t) => {
  const out = new Uint8Array(188);
  writePmtPacket(out, 0, 0, 0x1000, 0x101, [{ streamType: STREAM_TYPE_AAC_ADTS, pid: 0x101 }]);
  const section = readSection(readPackets(out)[0]!.payload);
  t.ok(section.crcOk);
  t.same(readPmt(section), { pcrPid: 0x101, streams: [{ streamType: 0x0f, pid: 0x101 }] });
});
