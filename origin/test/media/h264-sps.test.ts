import t from 'tap';
import { MediaFormatError } from '../../src/media/media-format-error.js';
import { parseSpsPictureSize } from '../../src/media/h264-sps.js';
import { hex } from './fixtures/ts-reader.js';

// SPS NAL units from libx264 (ffmpeg testsrc2), emulation prevention bytes included.
t.test('High profile 320x240', async (t) => {
  const sps = hex('6764000dacd94141fb0110000003001000000303c0f1429960');
  t.same(parseSpsPictureSize(sps), { width: 320, height: 240 });
});

t.test('Main profile 1920x1080 is cropped from 1088', async (t) => {
  const sps = hex('674d4028eca03c0113f2e022000003000200000300781e30632c');
  t.same(parseSpsPictureSize(sps), { width: 1920, height: 1080 });
});

t.test('Constrained Baseline 640x360 is cropped from 368', async (t) => {
  const sps = hex('6742c01ed900a02ff970110000030001000003003c0f162e48');
  t.same(parseSpsPictureSize(sps), { width: 640, height: 360 });
});

t.test('a truncated SPS throws', async (t) => {
  t.throws(() => parseSpsPictureSize(hex('6764000dac')), MediaFormatError);
});
