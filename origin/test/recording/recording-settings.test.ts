import { resolve } from 'node:path';
import t from 'tap';
import { readRecordingStorageSettings } from '../../src/recording/recording-settings.js';

t.test('defaults', async (t) => {
  t.same(readRecordingStorageSettings({}), {
    recordingsPath: resolve('.run/recordings'),
    retentionDays: 30,
    reportIntervalMs: 30_000,
    maxDurationSeconds: 43_200,
  });
});

t.test('reads the variables', async (t) => {
  const env = { RECORDINGS_PATH: '/srv/recordings', RECORDING_RETENTION_DAYS: '7', VIDEO_REPORT_INTERVAL_SECONDS: '5', RECORDING_MAX_SECONDS: '3600' };
  t.same(readRecordingStorageSettings(env), {
    recordingsPath: '/srv/recordings',
    retentionDays: 7,
    reportIntervalMs: 5_000,
    maxDurationSeconds: 3600,
  });
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => readRecordingStorageSettings({ RECORDING_RETENTION_DAYS: '0' }), /RECORDING_RETENTION_DAYS="0"/);
  t.throws(() => readRecordingStorageSettings({ RECORDING_RETENTION_DAYS: 'forever' }), /RECORDING_RETENTION_DAYS="forever"/);
  t.throws(() => readRecordingStorageSettings({ VIDEO_REPORT_INTERVAL_SECONDS: '0' }), /VIDEO_REPORT_INTERVAL_SECONDS="0"/);
  t.throws(() => readRecordingStorageSettings({ RECORDING_MAX_SECONDS: '0' }), /RECORDING_MAX_SECONDS="0"/);
});
