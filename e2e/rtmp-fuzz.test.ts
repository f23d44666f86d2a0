/**
 * A short run of the RTMP fuzzer (`npm run fuzz:rtmp` runs 10,000 sessions): mutated publish
 * sessions recorded from ffmpeg against a live origin (with its API and Redis) while an honest
 * ffmpeg publisher streams beside them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { formatReport, RSS_GROWTH_BOUND_BYTES } from '../fuzz/fuzz-report.js';
import { runRtmpFuzz } from '../fuzz/rtmp-fuzz-run.js';

const SESSIONS = 500;

t.test(`${SESSIONS} mutated RTMP sessions: no crash, the honest stream stays live and continuous, the origin's RSS stays bounded`, async (t) => {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'livestack-fuzz-'));
  // A failing run keeps its recordings and logs, to replay its sessions by seed.
  t.teardown(() => (t.passing() ? rm(runDir, { recursive: true, force: true }) : undefined));
  const report = await runRtmpFuzz({ sessions: SESSIONS, maxSeconds: 1800, firstSeed: 1, concurrency: 4, runDir });
  t.comment(formatReport(report));
  t.equal(report.sessionsRun, SESSIONS, 'every session ran');
  t.equal(report.crashes, 0, `no crash (sessions in flight at a crash: ${report.suspectSeeds.join(', ') || 'none'})`);
  t.ok(report.honest.live, 'the honest publisher still streams and its stream gets new segments after the fuzz');
  t.ok(report.honest.continuous && report.honest.segments > 0, `its segments during the fuzz (${report.honest.segments}) have no gap`);
  const growth = report.rssAfterBytes - report.rssBeforeBytes;
  t.ok(growth <= RSS_GROWTH_BOUND_BYTES, `origin RSS ${Math.round(report.rssBeforeBytes / 2 ** 20)} MB before, ${Math.round(report.rssAfterBytes / 2 ** 20)} MB after`);
});
