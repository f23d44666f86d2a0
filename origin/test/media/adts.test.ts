import t from 'tap';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { ADTS_HEADER_SIZE, writeAdtsHeader } from '../../src/media/adts.js';

t.test('AAC-LC 44.1 kHz stereo header', async (t) => {
  const out = new Uint8Array(ADTS_HEADER_SIZE);
  // AudioSpecificConfig 0x12 0x10: object type 2, frequency index 4, 2 channels
  writeAdtsHeader(out, 0, parseAacConfig(new Uint8Array([0x12, 0x10])), 100);
  // sync, MPEG-4, no CRC | profile 1, index 4, channels 2 | frame length 107 | fullness 0x7FF, 1 block
  t.same([...out], [0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc]);
});

t.test('fields parse back', async (t) => {
  const out = new Uint8Array(ADTS_HEADER_SIZE + 2);
  // 0x11 0x98: AAC-LC, 48 kHz (index 3), 3 channels, written at offset 2
  writeAdtsHeader(out, 2, parseAacConfig(new Uint8Array([0x11, 0x98])), 8000);
  const h = out.subarray(2);
  t.equal((h[0]! << 4) | (h[1]! >> 4), 0xfff, 'syncword');
  t.equal(h[1]! & 0x01, 1, 'protection_absent');
  t.equal((h[2]! >> 6) + 1, 2, 'object type');
  t.equal((h[2]! >> 2) & 0x0f, 3, 'sampling_frequency_index');
  t.equal(((h[2]! & 0x01) << 2) | (h[3]! >> 6), 3, 'channel_configuration');
  t.equal(((h[3]! & 0x03) << 11) | (h[4]! << 3) | (h[5]! >> 5), 8007, 'aac_frame_length');
  t.equal(h[6]! & 0x03, 0, 'one raw data block');
});
