import t from 'tap';
import { decodeAmf0, encodeAmf0 } from '../../src/restream/amf0.js';
import { classifyTag, publishableMetadata } from '../../src/restream/flv-tag-kind.js';
import { hex } from '../media/fixtures/ts-reader.js';

t.test('legacy FLV audio and video', async (t) => {
  t.equal(classifyTag(8, hex('af 00 1210')), 'audio-config', 'AAC sequence header');
  t.equal(classifyTag(8, hex('af 01 21')), 'audio', 'AAC frame');
  t.equal(classifyTag(8, hex('2f ff')), 'audio', 'MP3 has no sequence header');
  t.equal(classifyTag(9, hex('17 00 000000 01')), 'video-config', 'AVC sequence header');
  t.equal(classifyTag(9, hex('17 01 000000 00')), 'video-key');
  t.equal(classifyTag(9, hex('27 01 000000 00')), 'video');
  t.equal(classifyTag(9, hex('17 02 000000')), 'end-of-sequence');
  t.equal(classifyTag(9, hex('1c 00 000000')), 'video-config', 'HEVC as codec id 12');
  t.equal(classifyTag(9, hex('57 01')), 'video', 'a command frame is not a keyframe');
  t.equal(classifyTag(9, hex('')), 'ignored');
});

t.test('Enhanced RTMP', async (t) => {
  // IsExHeader | FrameType 1 | PacketType 0 (SequenceStart) + 'hvc1'
  t.equal(classifyTag(9, hex('90 68766331 01')), 'video-config');
  // FrameType 1, CodedFramesX (3)
  t.equal(classifyTag(9, hex('93 68766331 00')), 'video-key');
  // FrameType 2, CodedFrames (1)
  t.equal(classifyTag(9, hex('a1 68766331 000000 00')), 'video');
  t.equal(classifyTag(9, hex('92 68766331')), 'end-of-sequence');
  // SoundFormat 9 (ex header) | AudioPacketType 0 + 'Opus'
  t.equal(classifyTag(8, hex('90 4f707573 00')), 'audio-config');
  t.equal(classifyTag(8, hex('91 4f707573 00')), 'audio');
});

t.test('metadata with or without @setDataFrame; other data', async (t) => {
  const fromFile = encodeAmf0(['onMetaData', { width: 640 }]);
  const fromPublisher = encodeAmf0(['@setDataFrame', 'onMetaData', { width: 640 }]);
  t.equal(classifyTag(18, fromFile), 'metadata');
  t.equal(classifyTag(18, fromPublisher), 'metadata');
  t.equal(classifyTag(18, encodeAmf0(['onCuePoint', { name: 'ad' }])), 'data');
  t.equal(classifyTag(18, hex('ff')), 'data', 'unreadable script data is passed as data');
  t.same(decodeAmf0(publishableMetadata(fromFile)), ['@setDataFrame', 'onMetaData', { width: 640 }]);
  t.equal(publishableMetadata(fromPublisher), fromPublisher, 'already publishable: the same bytes');
});
