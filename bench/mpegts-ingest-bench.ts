/**
 * `npm run bench:mpegts [-- --streams 4 --seconds 30]` (issue 15): what demuxing MPEG-TS in the
 * origin costs per stream, against the RTMP ingest path, for the benchmark's 720p30 2.5 Mb/s clip.
 * - Real time: N ffmpeg processes play the clip (-re, copied, looped) into this process, first as
 *   RTMP into the origin's RtmpListener (node-media-server's chunk parser behind our bounds), then
 *   as MPEG-TS in 1316-byte UDP datagrams (what SRT delivers, without SRT's own protocol work) into
 *   MpegTsPublisher, one UDP socket per stream. Each publish's tags go to a counting sink, so the
 *   figure is the ingest front end alone (packaging costs the same whichever protocol fed it).
 *   This process's CPU time (utime + stime from /proc) over the window, minus an idle window's,
 *   is the ingest's; ffmpeg's own CPU is not counted.
 * - Pure demux: the clip as MPEG-TS demuxed in memory, repeatedly, in 1316-byte chunks: CPU
 *   seconds per second of media, without I/O.
 * The machine is shared with whatever else runs: the figures say what this run saw.
 */
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { FlvTag, IncomingPublish } from '../origin/src/ingest/flv-tag-source.js';
import { MpegTsPublisher } from '../origin/src/ingest/mpegts-publisher.js';
import { readRtmpIngestLimits } from '../origin/src/ingest/rtmp-ingest-settings.js';
import { RtmpListener } from '../origin/src/ingest/rtmp-listener.js';
import { MpegTsDemuxer } from '../origin/src/mpegts/mpegts-demuxer.js';
import { repoRoot } from '../test-support/repo-root.js';
import { CLIP, clipDescription, ensureBenchClip } from './bench-clip.js';
import { Cleanup, log, runBench, sleep } from './bench-process.js';
import { CpuMeter } from './proc-stats.js';

const execFileAsync = promisify(execFile);
const WARM_UP_MS = 5_000;
const SRT_PAYLOAD_BYTES = 1316;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

/** Tags and body bytes received per publish. */
class TagCounter {
  tags = 0;
  bytes = 0;
  readonly sink = (tag: FlvTag): void => {
    this.tags += 1;
    this.bytes += tag.body.byteLength;
  };
}

/** ffmpeg playing the clip in real time, copied, looped, to `output` in `format`. */
function play(clip: string, format: 'flv' | 'mpegts', output: string, cleanup: Cleanup): void {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', format, output], { stdio: ['ignore', 'ignore', 'inherit'] });
  cleanup.add(`ffmpeg to ${output}`, async () => {
    child.kill('SIGKILL');
  });
}

/** This process's CPU seconds over `seconds` of wall time, with the counters' tag rate. */
async function measure(seconds: number, counters: readonly TagCounter[]): Promise<{ cpu: number; wall: number; tagsPerSecond: number; kbps: number }> {
  const meter = new CpuMeter(() => [process.pid]);
  const tagsBefore = counters.reduce((sum, counter) => sum + counter.tags, 0);
  const bytesBefore = counters.reduce((sum, counter) => sum + counter.bytes, 0);
  meter.start();
  const started = performance.now();
  await sleep(seconds * 1000);
  const cpu = meter.stop().total;
  const wall = (performance.now() - started) / 1000;
  const tags = counters.reduce((sum, counter) => sum + counter.tags, 0) - tagsBefore;
  const bytes = counters.reduce((sum, counter) => sum + counter.bytes, 0) - bytesBefore;
  return { cpu, wall, tagsPerSecond: tags / wall / Math.max(1, counters.length), kbps: (bytes * 8) / wall / 1000 / Math.max(1, counters.length) };
}

async function rtmpRound(streams: number, seconds: number, clip: string, cleanup: Cleanup) {
  const counters: TagCounter[] = [];
  const listener = new RtmpListener({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    limits: readRtmpIngestLimits({}),
    onPublish: (publish: IncomingPublish) => {
      const counter = new TagCounter();
      counters.push(counter);
      publish.setSink(counter.sink);
    },
  });
  const port = await listener.listen();
  cleanup.add('the RTMP listener', () => listener.close());
  for (let i = 0; i < streams; i += 1) play(clip, 'flv', `rtmp://127.0.0.1:${port}/stream/bench${i}`, cleanup);
  await sleep(WARM_UP_MS);
  const result = await measure(seconds, counters);
  await cleanup.runAll();
  return { ...result, publishes: counters.length };
}

async function mpegTsRound(streams: number, seconds: number, clip: string, cleanup: Cleanup) {
  const counters: TagCounter[] = [];
  const publishers: MpegTsPublisher[] = [];
  for (let i = 0; i < streams; i += 1) {
    const counter = new TagCounter();
    counters.push(counter);
    const publisher = new MpegTsPublisher({ id: `bench${i}`, requestedName: `bench${i}`, remoteAddress: '127.0.0.1', onDisconnect: (reason) => log(`stream ${i} dropped: ${reason}`) });
    publisher.setSink(counter.sink);
    publishers.push(publisher);
    const socket = dgram.createSocket('udp4');
    socket.on('message', (message) => publisher.write(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanup.add(`UDP socket ${i}`, async () => {
      socket.close();
      publisher.end();
    });
    play(clip, 'mpegts', `udp://127.0.0.1:${socket.address().port}?pkt_size=${SRT_PAYLOAD_BYTES}`, cleanup);
  }
  await sleep(WARM_UP_MS);
  const result = await measure(seconds, counters);
  const dropped = publishers.reduce((sum, publisher) => sum + publisher.stats.droppedFrames, 0);
  await cleanup.runAll();
  return { ...result, publishes: streams, dropped };
}

/** CPU seconds per second of media demuxing the clip as MPEG-TS in memory. */
async function pureDemux(clip: string): Promise<{ perMediaSecond: number; repeats: number }> {
  const tsFile = clip.replace(/\.flv$/, '.ts');
  if (!existsSync(tsFile)) await execFileAsync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c', 'copy', '-f', 'mpegts', tsFile]);
  const bytes = new Uint8Array(await readFile(tsFile));
  const repeats = 10;
  const before = process.cpuUsage();
  let tags = 0;
  for (let round = 0; round < repeats; round += 1) {
    const demuxer = new MpegTsDemuxer();
    for (let offset = 0; offset < bytes.length; offset += SRT_PAYLOAD_BYTES) {
      for (const event of demuxer.push(bytes.subarray(offset, offset + SRT_PAYLOAD_BYTES))) if (event.kind === 'tag') tags += 1;
    }
    tags += demuxer.end().length;
  }
  const used = process.cpuUsage(before);
  if (tags === 0) throw new Error('the demuxer found no media in the clip');
  return { perMediaSecond: (used.user + used.system) / 1e6 / (repeats * CLIP.seconds), repeats };
}

const cleanup = new Cleanup();
runBench(async () => {
  const streams = Number(option('streams', '4'));
  const seconds = Number(option('seconds', '30'));
  const clip = await ensureBenchClip(path.join(repoRoot, '.run', 'bench'), log);
  log(`clip: ${clipDescription()}; machine: ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  const pure = await pureDemux(clip);
  log(`idle window (${seconds} s)`);
  const idle = await measure(seconds, []);
  log(`RTMP: ${streams} stream(s), warm-up ${WARM_UP_MS / 1000} s, window ${seconds} s`);
  const rtmp = await rtmpRound(streams, seconds, clip, cleanup);
  log(`MPEG-TS over UDP: ${streams} stream(s), warm-up ${WARM_UP_MS / 1000} s, window ${seconds} s`);
  const ts = await mpegTsRound(streams, seconds, clip, cleanup);
  const idleRate = idle.cpu / idle.wall;
  const perStream = (result: { cpu: number; wall: number }) => `${(((result.cpu / result.wall - idleRate) / streams) * 100).toFixed(2)} %`;
  process.stdout.write(
    [
      `clip: ${clipDescription()}; ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`,
      `pure demux (in memory, ${pure.repeats} x ${CLIP.seconds} s): ${(pure.perMediaSecond * 100).toFixed(2)} % of one core per real-time stream`,
      `idle process: ${(idleRate * 100).toFixed(2)} % of one core (subtracted below)`,
      `RTMP ingest (TCP + node-media-server chunk parser): ${perStream(rtmp)} of one core per stream; ${rtmp.publishes} publishes, ${rtmp.tagsPerSecond.toFixed(0)} tags/s and ${rtmp.kbps.toFixed(0)} kb/s each`,
      `MPEG-TS ingest (UDP 1316-byte datagrams + MpegTsPublisher): ${perStream(ts)} of one core per stream; ${ts.tagsPerSecond.toFixed(0)} tags/s and ${ts.kbps.toFixed(0)} kb/s each, ${ts.dropped} frames dropped`,
    ].join('\n') + '\n',
  );
  return 0;
}, cleanup);
