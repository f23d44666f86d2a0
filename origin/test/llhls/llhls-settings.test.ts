import t from 'tap';
import { DEFAULT_PART_TARGET_SECONDS, readLowLatencySettings } from '../../src/llhls/llhls-settings.js';

t.test('HLS_PART_SECONDS: a third of a second by default, 0.1 to 1 when set', async (t) => {
  t.same(readLowLatencySettings({}), { enabled: false, partTargetSeconds: DEFAULT_PART_TARGET_SECONDS });
  t.equal(DEFAULT_PART_TARGET_SECONDS, 0.334);
  t.same(readLowLatencySettings({ HLS_PART_SECONDS: '0.2' }), { enabled: false, partTargetSeconds: 0.2 });
  t.same(readLowLatencySettings({ HLS_PART_SECONDS: '1' }), { enabled: false, partTargetSeconds: 1 });
  for (const value of ['0.05', '1.5', 'fast', '-1']) {
    const wanted = { code: 'LIVE_ERR_SETTING', variable: 'HLS_PART_SECONDS', value };
    t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: value }), wanted, value);
  }
  t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: '2' }), /HLS_PART_SECONDS="2".*between 0.1 and 1/);
});

t.test('HLS_LOW_LATENCY: off by default and with 0/false/off, on with 1/true/yes', async (t) => {
  t.equal(readLowLatencySettings({}).enabled, false, 'default');
  for (const value of ['0', 'false', 'off']) t.equal(readLowLatencySettings({ HLS_LOW_LATENCY: value }).enabled, false, value);
  for (const value of ['1', 'true', 'yes']) t.equal(readLowLatencySettings({ HLS_LOW_LATENCY: value }).enabled, true, value);
  t.throws(() => readLowLatencySettings({ HLS_LOW_LATENCY: 'maybe' }), { code: 'LIVE_ERR_SETTING', variable: 'HLS_LOW_LATENCY', value: 'maybe' });
});
