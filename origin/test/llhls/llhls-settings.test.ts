import t from 'tap';
import { DEFAULT_PART_TARGET_SECONDS, readLowLatencySettings } from '../../src/llhls/llhls-settings.js';

const TWO_SECOND_SEGMENTS = { targetDurationSeconds: 2 };

t.test('HLS_PART_SECONDS: a third of a second and headroom for ten 30 fps frames by default, 0.1 to 1 when set, never past the segment', async (t) => {
  t.equal(readLowLatencySettings({}, TWO_SECOND_SEGMENTS).partTargetSeconds, DEFAULT_PART_TARGET_SECONDS);
  t.equal(DEFAULT_PART_TARGET_SECONDS, 0.34);
  t.equal(readLowLatencySettings({ HLS_PART_SECONDS: '0.2' }, TWO_SECOND_SEGMENTS).partTargetSeconds, 0.2);
  t.equal(readLowLatencySettings({ HLS_PART_SECONDS: '1' }, TWO_SECOND_SEGMENTS).partTargetSeconds, 1);
  for (const value of ['0.05', '1.5', 'fast', '-1']) {
    const wanted = { code: 'LIVE_ERR_SETTING', variable: 'HLS_PART_SECONDS', value };
    t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: value }, TWO_SECOND_SEGMENTS), wanted, value);
  }
  t.throws(() => readLowLatencySettings({ HLS_PART_SECONDS: '2' }, TWO_SECOND_SEGMENTS), /HLS_PART_SECONDS="2".*between 0.1 and 1/);
  t.throws(
    () => readLowLatencySettings({ HLS_PART_SECONDS: '0.8' }, { targetDurationSeconds: 0.5 }),
    /HLS_PART_SECONDS="0.8".*no greater than HLS_SEGMENT_SECONDS \(0.5\)/,
  );
});

t.test('HLS_LOW_LATENCY: on by default and with 1/true/yes, off with 0/false/off', async (t) => {
  t.equal(readLowLatencySettings({}, TWO_SECOND_SEGMENTS).enabled, true, 'default');
  for (const value of ['0', 'false', 'off']) t.equal(readLowLatencySettings({ HLS_LOW_LATENCY: value }, TWO_SECOND_SEGMENTS).enabled, false, value);
  for (const value of ['1', 'true', 'yes']) t.equal(readLowLatencySettings({ HLS_LOW_LATENCY: value }, TWO_SECOND_SEGMENTS).enabled, true, value);
  t.throws(() => readLowLatencySettings({ HLS_LOW_LATENCY: 'maybe' }, TWO_SECOND_SEGMENTS), {
    code: 'LIVE_ERR_SETTING',
    variable: 'HLS_LOW_LATENCY',
    value: 'maybe',
  });
});

t.test('HLS_LOW_LATENCY_WINDOW_SECONDS: twelve target durations by default, at least three; grace is the window plus one', async (t) => {
  t.match(readLowLatencySettings({}, TWO_SECOND_SEGMENTS), { windowSeconds: 24, graceSeconds: 26 });
  t.match(readLowLatencySettings({}, { targetDurationSeconds: 1.5 }), { windowSeconds: 24, graceSeconds: 26 }, 'whole target durations');
  t.match(readLowLatencySettings({ HLS_LOW_LATENCY_WINDOW_SECONDS: '6' }, TWO_SECOND_SEGMENTS), { windowSeconds: 6, graceSeconds: 8 });
  t.throws(() => readLowLatencySettings({ HLS_LOW_LATENCY_WINDOW_SECONDS: '5' }, TWO_SECOND_SEGMENTS), {
    code: 'LIVE_ERR_SETTING',
    variable: 'HLS_LOW_LATENCY_WINDOW_SECONDS',
    value: '5',
  });
});
