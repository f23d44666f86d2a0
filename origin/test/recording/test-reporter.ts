import { pino } from 'pino';
import { VideoReporter, type VideoReporterOptions } from '../../src/recording/video-reporter.js';

/**
 * A videos reporter as origin-a at 127.0.0.1:8080 reporting every 30 s, silent; without a
 * recorder unless `discard` and `stopRecording` are given.
 */
export function testReporter(options: Pick<VideoReporterOptions, 'registry' | 'recordingsPath'> & Partial<VideoReporterOptions>): VideoReporter {
  return new VideoReporter({
    originId: 'origin-a',
    originHost: '127.0.0.1:8080',
    intervalMs: 30_000,
    discard: async () => false,
    stopRecording: async () => false,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}
