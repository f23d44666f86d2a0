import t from 'tap';
import { cmafCodecs, cmafTracksOf } from '../../src/cmaf/cmaf-track.js';
import { writeInitSegment } from '../../src/cmaf/init-segment.js';
import { audioConfigFrom, videoConfigFrom } from '../../src/media/stream-config.js';
import { AVC_RECORD_320X240 } from '../media/fixtures/flv-tags.js';
import { hex } from '../media/fixtures/ts-reader.js';
import { type Box, fields, find, findAll, outline, readBoxes } from './fixtures/box-reader.js';

const video = videoConfigFrom(hex(AVC_RECORD_320X240));
/** AAC-LC, 48 kHz, stereo. */
const audio = audioConfigFrom(hex('1190'));

const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

function brands(boxes: Box[]): { major: string; minor: number; compatible: string[] } {
  const r = fields(find(boxes, 'ftyp'));
  const major = r.fourCc();
  const minor = r.u32();
  const compatible: string[] = [];
  while (r.remaining > 0) compatible.push(r.fourCc());
  return { major, minor, compatible };
}

function trak(boxes: Box[], handler: 'vide' | 'soun'): Box {
  const found = findAll(find(boxes, 'moov').children, 'trak').find((b) => {
    const r = fields(find(b.children, 'mdia', 'hdlr'));
    r.skip(8); // version, flags, pre_defined
    return r.fourCc() === handler;
  });
  if (!found) throw new Error(`no ${handler} track`);
  return found;
}

const SAMPLE_TABLE = 'stbl[stsd[SAMPLE_ENTRY] stts stsc stsz stco]';

t.test('audio + video: ftyp, then moov with mvhd, a trak per track and mvex', async (t) => {
  const boxes = readBoxes(writeInitSegment(cmafTracksOf({ video, audio })));
  t.equal(
    outline(boxes),
    'ftyp moov[mvhd ' +
      `trak[tkhd mdia[mdhd hdlr minf[vmhd dinf[dref[url ]] ${SAMPLE_TABLE.replace('SAMPLE_ENTRY', 'avc1[avcC]')}]]] ` +
      `trak[tkhd mdia[mdhd hdlr minf[smhd dinf[dref[url ]] ${SAMPLE_TABLE.replace('SAMPLE_ENTRY', 'mp4a[esds]')}]]] ` +
      'mvex[trex trex]]',
  );
  t.same(brands(boxes), { major: 'iso6', minor: 0, compatible: ['iso6', 'mp41'] }, 'no cmfc: a CMAF track file holds one track');

  const mvhd = fields(find(boxes, 'moov', 'mvhd'));
  t.same(mvhd.versionAndFlags(), { version: 0, flags: 0 });
  mvhd.skip(8); // creation and modification times
  t.equal(mvhd.u32(), 1000, 'movie timescale');
  t.equal(mvhd.u32(), 0, 'duration unknown');
  t.equal(mvhd.u32(), 0x00010000, 'rate 1.0');
  t.equal(mvhd.u16(), 0x0100, 'volume 1.0');
  mvhd.skip(10);
  t.same(Array.from({ length: 9 }, () => mvhd.u32()), UNITY_MATRIX);
  mvhd.skip(24);
  t.equal(mvhd.u32(), 3, 'next_track_ID');
  t.equal(mvhd.remaining, 0);

  t.same(
    findAll(find(boxes, 'moov', 'mvex').children, 'trex').map((box) => {
      const r = fields(box);
      return [r.versionAndFlags(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()];
    }),
    [
      [{ version: 0, flags: 0 }, 1, 1, 0, 0, 0],
      [{ version: 0, flags: 0 }, 2, 1, 0, 0, 0],
    ],
    'trex: track ID, sample description 1, no defaults',
  );
});

t.test('video track: tkhd with the SPS picture size, 90 kHz mdhd, avc1 carrying the avcC record', async (t) => {
  const track = trak(readBoxes(writeInitSegment(cmafTracksOf({ video, audio }))), 'vide');
  const tkhd = fields(find(track.children, 'tkhd'));
  t.same(tkhd.versionAndFlags(), { version: 0, flags: 3 }, 'enabled, in movie');
  tkhd.skip(8);
  t.equal(tkhd.u32(), 1, 'track ID');
  tkhd.skip(4);
  t.equal(tkhd.u32(), 0, 'duration');
  tkhd.skip(8);
  t.same([tkhd.u16(), tkhd.u16(), tkhd.u16()], [0, 0, 0], 'layer, alternate group, volume');
  tkhd.skip(2);
  t.same(Array.from({ length: 9 }, () => tkhd.u32()), UNITY_MATRIX);
  t.same([tkhd.u32(), tkhd.u32()], [320 * 65536, 240 * 65536], 'width and height, 16.16');
  t.equal(tkhd.remaining, 0);

  const mdhd = fields(find(track.children, 'mdia', 'mdhd'));
  t.same(mdhd.versionAndFlags(), { version: 0, flags: 0 });
  mdhd.skip(8);
  t.equal(mdhd.u32(), 90000, 'timescale');
  t.equal(mdhd.u32(), 0, 'duration');
  t.equal(mdhd.u16(), 0x55c4, "language 'und'");

  const hdlr = fields(find(track.children, 'mdia', 'hdlr'));
  hdlr.skip(8);
  t.equal(hdlr.fourCc(), 'vide');
  hdlr.skip(12);
  t.equal(Buffer.from(hdlr.bytes(hdlr.remaining)).toString('latin1'), 'VideoHandler\0');
  const vmhd = find(track.children, 'mdia', 'minf', 'vmhd');
  t.same(vmhd.body, hex('00 000001 0000 000000000000'), 'vmhd: flags 1, graphicsmode and opcolor 0');
  const url = find(track.children, 'mdia', 'minf', 'dinf', 'dref', 'url ');
  t.same(url.body, hex('00000001'), "'url ' flag 1: self-contained");

  const stbl = find(track.children, 'mdia', 'minf', 'stbl');
  t.same(find(stbl.children, 'stsd').body.subarray(0, 8), hex('00000000 00000001'), 'one sample entry');
  t.same(find(stbl.children, 'stts').body, hex('00000000 00000000'), 'no samples in the tables');
  t.same(find(stbl.children, 'stsc').body, hex('00000000 00000000'));
  t.same(find(stbl.children, 'stsz').body, hex('00000000 00000000 00000000'));
  t.same(find(stbl.children, 'stco').body, hex('00000000 00000000'));

  const avc1 = find(stbl.children, 'stsd', 'avc1');
  const entry = fields(avc1);
  t.same(entry.bytes(6), new Uint8Array(6), 'reserved');
  t.equal(entry.u16(), 1, 'data_reference_index');
  entry.skip(16);
  t.same([entry.u16(), entry.u16()], [320, 240], 'width, height');
  t.same([entry.u32(), entry.u32()], [0x00480000, 0x00480000], '72 dpi');
  entry.skip(4);
  t.equal(entry.u16(), 1, 'frame_count');
  t.same(entry.bytes(32), new Uint8Array(32), 'no compressor name');
  t.same([entry.u16(), entry.u16()], [0x18, 0xffff], 'depth 24, pre_defined -1');
  t.same(find(avc1.children, 'avcC').body, hex(AVC_RECORD_320X240), 'the record as received');
});

t.test('audio track: sample-rate timescale, mp4a with an esds holding the AudioSpecificConfig', async (t) => {
  const track = trak(readBoxes(writeInitSegment(cmafTracksOf({ video, audio }))), 'soun');
  const tkhd = fields(find(track.children, 'tkhd'));
  tkhd.skip(12);
  t.equal(tkhd.u32(), 2, 'track ID');
  tkhd.skip(4 + 4 + 8 + 4);
  t.equal(tkhd.u16(), 0x0100, 'volume 1.0');
  tkhd.skip(2 + 36);
  t.same([tkhd.u32(), tkhd.u32()], [0, 0], 'no picture size');
  const mdhd = fields(find(track.children, 'mdia', 'mdhd'));
  mdhd.skip(12);
  t.equal(mdhd.u32(), 48000, 'timescale: the sample rate');
  t.same(find(track.children, 'mdia', 'minf', 'smhd').body, hex('00000000 00000000'), 'smhd: balance 0');

  const mp4a = find(track.children, 'mdia', 'minf', 'stbl', 'stsd', 'mp4a');
  const entry = fields(mp4a);
  entry.skip(6);
  t.equal(entry.u16(), 1, 'data_reference_index');
  entry.skip(8);
  t.same([entry.u16(), entry.u16(), entry.u16(), entry.u16()], [2, 16, 0, 0], 'channelcount, samplesize');
  t.equal(entry.u32(), 48000 * 65536, 'samplerate, 16.16');

  const esds = find(mp4a.children, 'esds');
  t.same(
    esds.body,
    hex(
      [
        '00000000', // version 0, flags 0
        '03 19 0002 00', // ES_Descriptor, 25 bytes: ES_ID 2, no flags
        '04 11 40 15 000000 00000000 00000000', // DecoderConfigDescriptor, 17 bytes: MPEG-4 audio, audio stream
        '05 02 1190', // DecoderSpecificInfo: the AudioSpecificConfig
        '06 01 02', // SLConfigDescriptor: predefined 2
      ].join(''),
    ),
  );
});

t.test('a single track: the CMAF brand, and only that trak and trex', async (t) => {
  const audioOnly = readBoxes(writeInitSegment(cmafTracksOf({ audio })));
  t.same(brands(audioOnly).compatible, ['iso6', 'mp41', 'cmfc']);
  t.same(findAll(find(audioOnly, 'moov').children, 'trak').length, 1);
  t.same(fields(find(audioOnly, 'moov', 'mvex', 'trex')).bytes(8), hex('00000000 00000002'), 'audio keeps track ID 2');
  const videoOnly = readBoxes(writeInitSegment(cmafTracksOf({ video })));
  t.same(brands(videoOnly).compatible, ['iso6', 'mp41', 'cmfc']);
  t.equal(outline(find(videoOnly, 'moov').children).match(/trak\[/g)?.length, 1);
});

t.test('AAC above 65535 Hz leaves the 16.16 samplerate 0; channel configuration 7 is 8 channels', async (t) => {
  // AAC-LC (2), 96 kHz (index 0), channel configuration 7.
  const highRate = audioConfigFrom(hex('1038'));
  const entry = fields(find(readBoxes(writeInitSegment(cmafTracksOf({ audio: highRate }))), 'moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'mp4a'));
  entry.skip(16);
  t.equal(entry.u16(), 8, 'channelcount');
  entry.skip(6);
  t.equal(entry.u32(), 0, 'samplerate');
});

t.test('codec strings for the playlist, and a stream needs a track', async (t) => {
  t.equal(cmafCodecs(cmafTracksOf({ video, audio })), 'avc1.64000d,mp4a.40.2');
  t.equal(cmafCodecs(cmafTracksOf({ audio })), 'mp4a.40.2');
  t.throws(() => cmafTracksOf({}), RangeError);
});
