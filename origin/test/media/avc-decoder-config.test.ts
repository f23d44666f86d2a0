import t from 'tap';
import { avcCodecString, parseAvcDecoderConfig } from '../../src/media/avc-decoder-config.js';
import { hex } from './fixtures/ts-reader.js';

t.test('parses the record ffmpeg writes for a High profile stream', async (t) => {
  const record = hex(
    '01 64 00 0d ff' + // version 1, High, compatibility 0, level 1.3, 111111 + length size 4
      'e1 0019 6764000dacd94141fb0110000003001000000303c0f1429960' + // 1 SPS of 25 bytes
      '01 0006 68ebe3cb22c0' + // 1 PPS of 6 bytes
      'fdf8f800', // High profile extension: chroma format, bit depths, no SPS ext
  );
  const config = parseAvcDecoderConfig(record);
  t.equal(config.nalLengthSize, 4);
  t.same([config.profile, config.profileCompatibility, config.level], [0x64, 0, 0x0d]);
  t.equal(config.sps.length, 1);
  t.equal(config.sps[0]![0], 0x67, 'SPS NAL header');
  t.equal(config.pps.length, 1);
  t.same([...config.pps[0]!], [...hex('68ebe3cb22c0')]);
  t.equal(avcCodecString(config), 'avc1.64000d');
  record.fill(0);
  t.equal(config.sps[0]![0], 0x67, 'parameter sets are copies');
});

t.test('several parameter sets and a 2-byte length size', async (t) => {
  // Baseline 3.0, length size 2, SPS x2 (3 bytes each), PPS x2 (2 bytes each)
  const config = parseAvcDecoderConfig(hex('01 42 c0 1e fd e2 0003 674201 0003 674202 02 0002 6801 0002 6802'));
  t.equal(config.nalLengthSize, 2);
  t.same(config.sps.map((s) => s[2]), [1, 2]);
  t.same(config.pps.map((s) => s[1]), [1, 2]);
  t.equal(avcCodecString(config), 'avc1.42c01e');
});

t.test('malformed records are refused with what was wrong', async (t) => {
  t.throws(() => parseAvcDecoderConfig(hex('01 64 00')), { message: /too short/ });
  t.throws(() => parseAvcDecoderConfig(hex('00 64 00 0d ff e1 0000')), { message: /version 0/ });
  t.throws(() => parseAvcDecoderConfig(hex('01 64 00 0d ff e1 0020 6764')), { message: /32 bytes does not fit/ });
  t.throws(() => parseAvcDecoderConfig(hex('01 64 00 0d ff e0 00')), { message: /0 SPS and 0 PPS/ });
  t.throws(() => parseAvcDecoderConfig(hex('01 64 00 0d fe e1 0001 67 01 0001 68')), { message: /3 bytes/ });
});
