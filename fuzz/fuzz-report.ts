/** The RTMP fuzzer's bounds, and its report as text. Pure. */
import type { FuzzReport } from './rtmp-fuzz-run.js';

/** The origin's RSS after the run may exceed its RSS before by this much at most. */
export const RSS_GROWTH_BOUND_BYTES = 200 * 1024 * 1024;

/** Every bound the run broke, in words; empty when it held them all. */
export function brokenBounds(report: FuzzReport): string[] {
  const broken: string[] = [];
  if (report.crashes > 0) broken.push(`the origin crashed (replay seeds ${report.suspectSeeds.join(', ')})`);
  const growth = report.rssAfterBytes - report.rssBeforeBytes;
  if (report.crashes === 0 && growth > RSS_GROWTH_BOUND_BYTES) broken.push(`the origin's RSS grew by ${mb(growth)}, more than ${mb(RSS_GROWTH_BOUND_BYTES)}`);
  if (!report.honest.live) broken.push('the honest stream is no longer live');
  if (!report.honest.continuous) broken.push("the honest stream's segments have a gap");
  return broken;
}

export function formatReport(report: FuzzReport): string {
  const { honest } = report;
  const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);
  return [
    `sessions: ${report.sessionsRun} of ${report.sessionsAsked} in ${report.durationSeconds.toFixed(0)} s${report.stoppedByTimeLimit ? ' (stopped by the time limit)' : ''}`,
    `crashes: ${report.crashes}${report.crashes > 0 ? ` (sessions in flight: ${report.suspectSeeds.join(', ')})` : ''}`,
    `origin RSS: ${mb(report.rssBeforeBytes)} before, ${mb(report.rssAfterBytes)} after (${signed(report.rssAfterBytes - report.rssBeforeBytes)}), peak ${mb(report.rssPeakBytes)}`,
    `honest stream: ${honest.live ? 'live' : 'NOT live'}, ${honest.continuous ? 'continuous' : 'WITH GAPS'}, ${honest.segments} segments during the fuzz, segment delay median ${ms(honest.medianSegmentDelayMs)}, worst ${ms(honest.worstSegmentDelayMs)}`,
    'what the origin logged (whole run, recordings and honest stream included):',
    ...Object.entries(report.originEvents)
      .sort(([, a], [, b]) => b - a)
      .map(([event, count]) => `  ${String(count).padStart(6)}  ${event}`),
    `recordings (for --replay): ${report.recordingsDir}; logs: ${report.logDir}`,
  ].join('\n');
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MB`;
}

function signed(bytes: number): string {
  return `${bytes >= 0 ? '+' : '-'}${mb(Math.abs(bytes))}`;
}
