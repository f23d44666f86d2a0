/**
 * The RTMP fuzzer's run: a live origin (real origin process, real API, real Redis, as the
 * benchmarks start them, on 127.0.0.1), one honest ffmpeg publisher streaming beside the fuzz,
 * publish sessions recorded from ffmpeg, then N mutated sessions (fuzz/rtmp-mutations.ts) a few
 * at a time. It measures what the issue bounds: crashes, the honest stream's segments and worst
 * segment delay, and the origin's RSS before and after.
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PlaylistWatch } from '../bench/playlist-watch.js';
import { rssBytes } from '../bench/proc-stats.js';
import { startTimingRelay, wallClockMs } from '../bench/rtmp-timing-relay.js';
import { segmentDelays } from '../bench/segment-delay.js';
import { startOriginBackend, startOurOrigin } from '../bench/bench-servers.js';
import { repoRoot } from '../test-support/repo-root.js';
import { publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { recordPublish } from './publish-recorder.js';
import { fuzzSession } from './rtmp-mutations.js';
import { parseRecording, type RecordedPublish } from './rtmp-recording.js';
import { sendSession } from './send-session.js';

export interface FuzzRunOptions {
  sessions: number;
  /** No session starts after this many seconds of fuzzing. */
  maxSeconds: number;
  /** Session i uses seed firstSeed + i. */
  firstSeed: number;
  /** Sessions at once. */
  concurrency: number;
  /** Logs, HLS output and the recordings (for a replay) go here. */
  runDir: string;
  /** Replay: recordings saved by an earlier run, instead of recording anew. */
  recordingsDir?: string;
  progress?: (line: string) => void;
}

export interface FuzzReport {
  sessionsAsked: number;
  sessionsRun: number;
  stoppedByTimeLimit: boolean;
  /** What the origin's log says happened to connections (its message, and how often). */
  originEvents: Record<string, number>;
  /** The origin process exited during the run (0 or 1: the run stops at a crash). */
  crashes: number;
  /** Sessions in flight when the origin died: replay them by seed. */
  suspectSeeds: number[];
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPeakBytes: number;
  honest: {
    /** ffmpeg still publishing and a new segment after the fuzz ended. */
    live: boolean;
    /** Segments seen during the run. */
    segments: number;
    /** Their media sequence numbers have no gap. */
    continuous: boolean;
    worstSegmentDelayMs: number | undefined;
    medianSegmentDelayMs: number | undefined;
  };
  durationSeconds: number;
  recordingsDir: string;
  logDir: string;
}

/** What a recording keeps of ffmpeg's publish: handshake, commands, headers and a few seconds of media. */
const RECORDING_BYTES = 160 * 1024;
/** In the order loadRecordings reads them back, so a seed picks the same recording in a replay. */
const RECORDED_FILES = ['aac-only.flv', 'h264-aac.flv', 'h264-bframes-aac.flv'].sort();
const HONEST_STREAM = 'honest';
/** From the repository (test-support's testAsset resolves from the build when run from dist/). */
const asset = testAsset;
const RSS_SAMPLE_MS = 250;

export async function runRtmpFuzz(options: FuzzRunOptions): Promise<FuzzReport> {
  const progress = options.progress ?? (() => undefined);
  const logDir = path.join(options.runDir, 'logs');
  const hlsPath = path.join(options.runDir, 'hls');
  await mkdir(hlsPath, { recursive: true });
  const backend = await startOriginBackend(logDir);
  const stops: Array<() => Promise<unknown> | void> = [() => backend.stop()];
  try {
    const origin = await startOurOrigin({ api: backend.internal, hlsPath, logDir });
    stops.unshift(() => origin.stop());
    const pid = origin.pids()[0]!;
    const alive = () => origin.pids().length > 0;

    const watch = new PlaylistWatch(hlsPath);
    stops.unshift(() => watch.close());
    watch.expect(HONEST_STREAM);
    const relay = await startTimingRelay(origin.rtmpPort);
    stops.unshift(() => relay.close());
    const honest = publishFile(asset('h264-aac.flv'), `rtmp://127.0.0.1:${relay.port}/stream/${HONEST_STREAM}`, { loops: -1 });
    stops.unshift(() => honest.stop());
    await waitFor('the honest stream to be packaged', () => watch.segments(HONEST_STREAM).size >= 2, { timeoutMs: 120_000 });

    const recordingsDir = options.recordingsDir ?? path.join(options.runDir, 'recordings');
    const recordings = options.recordingsDir ? await loadRecordings(recordingsDir) : await recordSessions(origin.rtmpPort, recordingsDir);
    progress(`recordings: ${recordings.map((r) => `${r.source} (${r.bytes.length} bytes, ${r.messages.length} messages)`).join(', ')}`);

    const rssBeforeBytes = rssBytes(pid);
    let rssPeakBytes = rssBeforeBytes;
    const sampler = setInterval(() => {
      if (alive()) rssPeakBytes = Math.max(rssPeakBytes, rssBytes(pid));
    }, RSS_SAMPLE_MS);
    const started = wallClockMs();
    const deadline = started + options.maxSeconds * 1000;
    const inFlight = new Set<number>();
    let next = 0;
    let sessionsRun = 0;
    let crashed = false;
    let suspectSeeds: number[] = [];
    let stoppedByTimeLimit = false;

    const worker = async () => {
      while (next < options.sessions && !crashed) {
        if (wallClockMs() > deadline) {
          stoppedByTimeLimit = true;
          return;
        }
        const seed = options.firstSeed + next;
        next += 1;
        inFlight.add(seed);
        await sendSession(origin.rtmpPort, fuzzSession(recordings, seed));
        if (!alive() && !crashed) {
          crashed = true;
          suspectSeeds = [...inFlight];
        }
        inFlight.delete(seed);
        sessionsRun += 1;
        if (sessionsRun % 500 === 0) progress(`${sessionsRun} sessions, origin RSS ${Math.round(rssBytes(pid) / 2 ** 20)} MB`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    clearInterval(sampler);
    const fuzzEnded = wallClockMs();
    const rssAfterBytes = alive() ? rssBytes(pid) : 0;

    // Live: a segment the honest publisher's media closed after the fuzz ended.
    const seenAtEnd = Math.max(...watch.segments(HONEST_STREAM).keys());
    const live =
      !crashed &&
      honest.child.exitCode === null &&
      (await waitFor('a new honest segment', () => Math.max(...watch.segments(HONEST_STREAM).keys()) > seenAtEnd, { timeoutMs: 60_000 }).catch(() => false)) === true;
    const sequences = [...watch.segments(HONEST_STREAM).keys()].sort((a, b) => a - b);
    const continuous = sequences.every((sequence, index) => index === 0 || sequence === sequences[index - 1]! + 1);
    const delays = segmentDelays(watch.segments(HONEST_STREAM), relay.keyframes, { from: started, to: fuzzEnded }).samples.map((s) => s.seenMs);
    delays.sort((a, b) => a - b);

    return {
      sessionsAsked: options.sessions,
      sessionsRun,
      stoppedByTimeLimit,
      originEvents: await logEvents(path.join(logDir, 'origin.log')),
      crashes: crashed ? 1 : 0,
      suspectSeeds,
      rssBeforeBytes,
      rssAfterBytes,
      rssPeakBytes,
      honest: {
        live,
        segments: delays.length,
        continuous,
        worstSegmentDelayMs: delays.at(-1),
        medianSegmentDelayMs: delays[Math.floor(delays.length / 2)],
      },
      durationSeconds: (fuzzEnded - started) / 1000,
      recordingsDir,
      logDir,
    };
  } finally {
    for (const stop of stops) await stop();
  }
}

/** How often each message appears in a pino log file (its `msg` and, for closed connections, their `reason` or `limit`). */
async function logEvents(file: string): Promise<Record<string, number>> {
  const events: Record<string, number> = {};
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    let entry: { msg?: string; reason?: string; limit?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (!entry.msg) continue;
    // Numbers vary per connection: "a 123-byte message" and "a 456-byte message" are one kind.
    const detail = (entry.reason ?? entry.limit)?.replace(/\d+/g, 'N');
    const key = detail ? `${entry.msg}: ${detail}` : entry.msg;
    events[key] = (events[key] ?? 0) + 1;
  }
  return events;
}

async function recordSessions(rtmpPort: number, dir: string): Promise<RecordedPublish[]> {
  await mkdir(dir, { recursive: true });
  const recordings: RecordedPublish[] = [];
  // One after the other: they publish under one name.
  for (const file of RECORDED_FILES) {
    const recording = await recordPublish(asset(file), rtmpPort, { maxBytes: RECORDING_BYTES });
    await writeFile(path.join(dir, `${file}.rtmp`), recording.bytes);
    recordings.push(recording);
  }
  return recordings;
}

async function loadRecordings(dir: string): Promise<RecordedPublish[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.rtmp')).sort();
  if (files.length === 0) throw new Error(`no recordings (*.rtmp) in ${dir}`);
  return Promise.all(files.map(async (file) => parseRecording(file.replace(/\.rtmp$/, ''), await readFile(path.join(dir, file)))));
}
