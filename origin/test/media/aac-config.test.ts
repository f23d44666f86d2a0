import t from 'tap';
import { aacCodecString, aacFrameDurationMs, parseAacConfig } from '../../src/media/aac-config.js';
import { MediaFormatError } from '../../src/media/media-format-error.js';

t.test('AAC-LC', async (t) => {
  // 00010 0011 0001 000 + sync extension (as ffmpeg writes it): LC, 48 kHz, mono
  const config = parseAacConfig(new Uint8Array([0x11, 0x88, 0x56, 0xe5, 0x00]));
  t.same(config, { objectType: 2, coreObjectType: 2, samplingFrequencyIndex: 3, sampleRate: 48000, channelConfig: 1 });
  t.equal(aacCodecString(config), 'mp4a.40.2');
  t.equal(aacFrameDurationMs(config).toFixed(3), '21.333');
});

t.test('HE-AAC with explicit SBR signalling keeps the core for ADTS', async (t) => {
  // 00101 (SBR) 0110 (24 kHz) 0010 (stereo) 0011 (48 kHz output) 00010 (core LC) 000
  const config = parseAacConfig(new Uint8Array([0x2b, 0x11, 0x88, 0x00]));
  t.same(config, { objectType: 5, coreObjectType: 2, samplingFrequencyIndex: 6, sampleRate: 24000, channelConfig: 2 });
  t.equal(aacCodecString(config), 'mp4a.40.5');
});

t.test('configurations ADTS cannot carry are refused with the value', async (t) => {
  // escape 31 + 6 bits (42 - 32 = 10): USAC
  t.throws(() => parseAacConfig(new Uint8Array([0xf9, 0x46, 0x20])), { message: /object type 42/ });
  // LC, index 15 (explicit 24-bit frequency)
  t.throws(() => parseAacConfig(new Uint8Array([0x17, 0x80, 0x00, 0x00, 0x10])), { message: /frequency index 15/ });
  // LC, 44.1 kHz, channel configuration 0 (program config element)
  t.throws(() => parseAacConfig(new Uint8Array([0x12, 0x00])), { message: /channel configuration 0/ });
  t.throws(() => parseAacConfig(new Uint8Array([0x12])), MediaFormatError);
  // SBR signalled, then the data ends before the core object type
  t.throws(() => parseAacConfig(new Uint8Array([0x2b, 0x11])), { message: /AudioSpecificConfig is truncated/ });
});
