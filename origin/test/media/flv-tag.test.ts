import t from 'tap';
import { parseFlvTag } from '../../src/media/flv-tag.js';
import { hex } from './fixtures/ts-reader.js';

const audio = (body: string, timestampMs = 0) => parseFlvTag({ type: 8, timestampMs, body: hex(body) });
const video = (body: string, timestampMs = 0) => parseFlvTag({ type: 9, timestampMs, body: hex(body) });

t.test('AAC sequence header and raw frame', async (t) => {
  // AAC (10), 44 kHz, 16-bit, stereo = 0xAF; AACPacketType 0 + AudioSpecificConfig
  t.same(audio('af 00 1210'), { kind: 'aac-config', data: hex('1210') });
  // AACPacketType 1 + raw frame
  t.same(audio('af 01 2110aa', 40), { kind: 'aac-frame', dtsMs: 40, data: hex('2110aa') });
  t.same(audio('af 01'), { kind: 'ignored' }, 'an empty frame');
});

t.test('AVC sequence header, frames and composition time', async (t) => {
  // keyframe (1) + AVC (7), AVCPacketType 0, composition time 0
  t.same(video('17 00 000000 0164'), { kind: 'avc-config', data: hex('0164') });
  // keyframe, NALU, composition time +66 ms
  t.same(video('17 01 000042 00000001 65', 1000), {
    kind: 'avc-frame', dtsMs: 1000, ptsMs: 1066, keyframe: true, data: hex('00000001 65'),
  });
  // inter frame (2), composition time -33 ms as signed 24 bits
  t.match(video('27 01 ffffdf 00000001 41', 1000), { kind: 'avc-frame', ptsMs: 967, keyframe: false });
  t.same(video('17 02 000000'), { kind: 'end-of-sequence' });
  // video info/command frame (5)
  t.same(video('57 01'), { kind: 'ignored' });
});

t.test('the timestamp can be overridden with an extended one', async (t) => {
  const frame = parseFlvTag({ type: 9, timestampMs: 5, body: hex('27 01 000021 00000001 41') }, 2 ** 32 + 5);
  t.match(frame, { dtsMs: 2 ** 32 + 5, ptsMs: 2 ** 32 + 38 });
});

t.test('legacy codecs other than H.264 and AAC are named', async (t) => {
  t.same(audio('2f ff'), { kind: 'unsupported', track: 'audio', codec: 'mp3' });
  t.same(audio('b6 00'), { kind: 'unsupported', track: 'audio', codec: 'speex' });
  t.same(audio('7e 00'), { kind: 'unsupported', track: 'audio', codec: 'g711-alaw' });
  t.same(video('12 00'), { kind: 'unsupported', track: 'video', codec: 'h263' });
  t.same(video('1c 00 000000'), { kind: 'unsupported', track: 'video', codec: 'hevc' });
});

t.test('Enhanced RTMP video: HEVC, AV1 and VP9 are named', async (t) => {
  // IsExHeader + keyframe (1) + SequenceStart (0), FourCC
  t.same(video('90 68766331 0101'), { kind: 'unsupported', track: 'video', codec: 'hevc' });
  t.same(video('91 61763031 00'), { kind: 'unsupported', track: 'video', codec: 'av1' });
  t.same(video('a1 76703039 00'), { kind: 'unsupported', track: 'video', codec: 'vp9' });
  t.same(video('90 78797a31'), { kind: 'unsupported', track: 'video', codec: 'xyz1' });
});

t.test('Enhanced RTMP video: avc1 is H.264', async (t) => {
  t.same(video('90 61766331 0164'), { kind: 'avc-config', data: hex('0164') });
  // CodedFrames (1): composition time after the FourCC
  t.match(video('91 61766331 000021 00000001 65', 100), { kind: 'avc-frame', dtsMs: 100, ptsMs: 133, keyframe: true });
  // inter frame (2) CodedFramesX (3): no composition time
  t.same(video('a3 61766331 00000001 41', 100), {
    kind: 'avc-frame', dtsMs: 100, ptsMs: 100, keyframe: false, data: hex('00000001 41'),
  });
  t.same(video('92 61766331'), { kind: 'end-of-sequence' });
  t.match(video('96 61766331 00'), { kind: 'unsupported', codec: /packet type 6/ }, 'multitrack');
});

t.test('Enhanced RTMP audio: mp4a is AAC, others are named', async (t) => {
  // ExHeader (9) + SequenceStart (0), FourCC mp4a
  t.same(audio('90 6d703461 1210'), { kind: 'aac-config', data: hex('1210') });
  t.same(audio('91 6d703461 2110', 20), { kind: 'aac-frame', dtsMs: 20, data: hex('2110') });
  t.same(audio('90 4f707573 00'), { kind: 'unsupported', track: 'audio', codec: 'opus' });
  t.same(audio('90 61632d33 00'), { kind: 'unsupported', track: 'audio', codec: 'ac-3' });
});

t.test('metadata and empty bodies are ignored', async (t) => {
  t.same(parseFlvTag({ type: 18, timestampMs: 0, body: hex('02000a6f6e4d65746144617461') }), { kind: 'ignored' });
  t.same(parseFlvTag({ type: 9, timestampMs: 0, body: new Uint8Array(0) }), { kind: 'ignored' });
});
