/**
 * `npm run fuzz:rtmp`: mutated RTMP publish sessions against a live origin on 127.0.0.1 while an
 * honest publisher streams beside them (fuzz/rtmp-fuzz-run.ts). Prints the report; exits 1 when
 * a bound broke (a crash, the origin's RSS, the honest stream).
 *
 *   npm run fuzz:rtmp -- [--sessions 10000] [--seed 1] [--concurrency 4] [--max-seconds 3600]
 *   npm run fuzz:rtmp -- --replay <seed> --recordings <dir of an earlier run>
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test-support/repo-root.js';
import { brokenBounds, formatReport } from './fuzz-report.js';
import { runRtmpFuzz } from './rtmp-fuzz-run.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '4' },
    'max-seconds': { type: 'string', default: '3600' },
    replay: { type: 'string' },
    recordings: { type: 'string' },
  },
});

function positiveInteger(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`--${name} must be a whole number, got ${value}`);
  return number;
}

const replay = values.replay === undefined ? undefined : positiveInteger('replay', values.replay);
if (replay !== undefined && !values.recordings) throw new Error('--replay needs --recordings <the recordings folder of the run that found it>');
const runDir = path.join(repoRoot, '.run', 'fuzz-rtmp', new Date().toISOString().replace(/[:.]/g, '-'));
await mkdir(runDir, { recursive: true });
const options = {
  sessions: replay === undefined ? positiveInteger('sessions', values.sessions) : 1,
  firstSeed: replay ?? positiveInteger('seed', values.seed),
  concurrency: replay === undefined ? Math.max(1, positiveInteger('concurrency', values.concurrency)) : 1,
  maxSeconds: positiveInteger('max-seconds', values['max-seconds']),
  runDir,
  recordingsDir: values.recordings ? path.resolve(values.recordings) : undefined,
  progress: (line: string) => console.log(line),
};
console.log(`fuzz:rtmp: ${options.sessions} sessions from seed ${options.firstSeed}, ${options.concurrency} at a time, at most ${options.maxSeconds} s (run folder ${runDir})`);
const report = await runRtmpFuzz(options);
console.log(formatReport(report));
const broken = brokenBounds(report);
for (const bound of broken) console.log(`BOUND BROKEN: ${bound}`);
console.log(broken.length === 0 ? 'fuzz:rtmp: every bound held' : 'fuzz:rtmp: FAILED');
process.exit(broken.length === 0 ? 0 : 1);
