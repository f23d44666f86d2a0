import t from 'tap';
import { audioConfigFrom, sameConfig, videoConfigFrom } from '../../src/media/stream-config.js';
import { AVC_RECORD_320X240 } from './fixtures/flv-tags.js';
import { hex } from './fixtures/ts-reader.js';

t.test('video: codec string, picture size and Annex B parameter sets', async (t) => {
  const data = hex(AVC_RECORD_320X240);
  const config = videoConfigFrom(data);
  t.same(config.info, { codec: 'avc1.64000d', width: 320, height: 240 });
  t.equal(Buffer.from(config.parameterSets.subarray(0, 6)).toString('hex'), '000000016764');
  t.ok(sameConfig(config, data));
  data[1] = 0x4d;
  t.notOk(sameConfig(config, data), 'kept a copy, so a changed header differs');
});

t.test('video: an SPS too odd to size still gives a codec', async (t) => {
  // Baseline record whose SPS stops after level_idc
  t.same(videoConfigFrom(hex('01 42c01e ff e1 0004 6742c01e 01 0002 68ce')).info, { codec: 'avc1.42c01e' });
});

t.test('audio: codec string, rate and channels', async (t) => {
  const config = audioConfigFrom(hex('1190'));
  t.same(config.info, { codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 });
  t.ok(sameConfig(config, hex('1190')));
  t.notOk(sameConfig(config, hex('1210')));
  t.notOk(sameConfig(undefined, hex('1190')));
});
