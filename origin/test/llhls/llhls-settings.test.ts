import t from 'tap';
import { DEFAULT_PART_TARGET_SECONDS, readLowLatencySettings } from '../../src/llhls/llhls-settings.js';

t.test('HLS_PART_SECONDS: a third of a second by default, 0.1 to 1 when set', async (t) => {
  t.same(readLowLatencySettings({}), { partTargetSeconds: DEFAULT_PART_TARGET_SECONDS });
  t.equal(DEFAULT_PART_TARGET_SECONDS, 0.334);
  t.same(readLowLatencySettings({ HLS_PART_SECONDS: '0.2' }), { partTargetSeconds: 0.2 });
  t.same(readLowLatencySettings({ HLS_PART_SECONDS: '1' }), { partTargetSeconds: 1 });
  for (const value of ['0.05', '1.5', 'fast', '-1']) {
    const wanted = { code: 'LIVE_ERR_SETTING', variable: 'HLS_PART_SECONDS', value };
    t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: value }), wanted, value);
  }
  t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: '2' }), /HLS_PART_SECONDS="2".*between 0.1 and 1/);
});
