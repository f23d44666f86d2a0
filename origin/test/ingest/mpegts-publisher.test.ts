/**
 * MpegTsPublisher inside the origin: real ffmpeg's MPEG-TS, written into the publisher chunk by
 * chunk as a transport (SRT) would, goes through the publish gate into the live-stream registry
 * and comes out as a live HLS stream that ffprobe decodes at the published size, with audio; the
 * transport's end ends the stream. A refused publish, a publisher the origin cannot keep up
 * with, bytes that are not MPEG-TS and a program without H.264 or AAC are dropped, and the
 * transport is told once.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { waitFor } from '../../../test-support/wait-for.js';
import { MPEGTS_MAX_BYTES_WITHOUT_PROGRAM, MpegTsPublisher } from '../../src/ingest/mpegts-publisher.js';
import type { PublishDecision } from '../../src/ingest/publish-authorizer.js';
import { PublishGate } from '../../src/ingest/publish-gate.js';
import { oneSecondRegistry } from '../packaging/fixtures/one-second-registry.js';

const execFileAsync = promisify(execFile);
const STREAM = 'srt12345';
const logger = pino({ level: 'silent' });
const ALLOWED: PublishDecision = { allowed: true, streamName: STREAM, keyGeneration: 1 };

/** The origin's publish path with the API stood in for: the gate in front of the registry and its HLS folder. */
function startOrigin(t: Test, decision: PublishDecision = ALLOWED) {
  const { registry, hlsPath } = oneSecondRegistry(t);
  const gate = new PublishGate({ authorizer: { authorize: async () => decision }, target: registry, logger, maxPendingBytes: 8 * 1024 * 1024 });
  return { gate, registry, folder: join(hlsPath, STREAM) };
}

function newPublisher(options: { maxPendingBytes?: number } = {}) {
  const disconnects: string[] = [];
  let closes = 0;
  const publisher = new MpegTsPublisher({
    id: 'session-1',
    requestedName: 'publish_srt12345_secret',
    remoteAddress: '127.0.0.1',
    onDisconnect: (reason) => disconnects.push(reason),
    ...options,
  });
  publisher.onClose(() => (closes += 1));
  return { publisher, disconnects, closes: () => closes };
}

/** ffmpeg encoding a test pattern and tone in real time, writing MPEG-TS to its stdout. */
function encodeToStdout(args: string[]) {
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-re', ...args, '-f', 'mpegts', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => ffmpeg.once('exit', () => resolve()));
  return { ffmpeg, exited };
}

async function segmentsOf(folder: string): Promise<{ uris: string[]; ended: boolean } | undefined> {
  const text = await readFile(join(folder, 'index.m3u8'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return { uris: text.split('\n').filter((line) => line.endsWith('.ts')), ended: text.includes('#EXT-X-ENDLIST') };
}

t.test("ffmpeg's MPEG-TS through the publisher goes live as HLS that decodes, and ends with the transport", async (t) => {
  const origin = startOrigin(t);
  const { publisher, disconnects } = newPublisher();
  origin.gate.admit(publisher);
  const { ffmpeg, exited } = encodeToStdout([
    '-f', 'lavfi', '-i', 'testsrc2=size=426x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000',
    '-t', '60', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-c:a', 'aac', '-b:a', '64k',
  ]);
  t.teardown(() => ffmpeg.kill('SIGKILL'));
  // As SRT delivers it: 1316-byte payloads (seven packets), whatever the pipe's reads.
  let pending = Buffer.alloc(0);
  ffmpeg.stdout.on('data', (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 1316) {
      publisher.write(pending.subarray(0, 1316));
      pending = pending.subarray(1316);
    }
  });
  ffmpeg.stdout.on('end', () => {
    publisher.write(pending);
    publisher.end();
  });

  const live = await waitFor('the stream to go live with two segments', async () => {
    const playlist = await segmentsOf(origin.folder);
    return playlist && playlist.uris.length >= 2 ? playlist : undefined;
  }, { timeoutMs: 60_000 });
  t.equal(live.ended, false, 'live while the publisher sends');
  t.match(origin.registry.publishes(), [{ stream: STREAM, sessionId: 'session-1' }], 'the registry holds the publish');
  const probe = JSON.parse(
    (await execFileAsync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', join(origin.folder, live.uris.at(-1)!)])).stdout,
  ) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }> };
  t.match(
    probe.streams.sort((a, b) => a.codec_type.localeCompare(b.codec_type)),
    [{ codec_type: 'audio', codec_name: 'aac', sample_rate: '48000' }, { codec_type: 'video', codec_name: 'h264', width: 426, height: 240 }],
    'the segment decodes at the published size, with audio',
  );
  const decode = decodeErrors(join(origin.folder, live.uris.at(-1)!));
  t.equal(decode, '', 'every frame of the segment decodes');

  ffmpeg.kill('SIGINT');
  await exited;
  const ended = await waitFor('the playlist to end', async () => {
    const playlist = await segmentsOf(origin.folder);
    return playlist?.ended ? playlist : undefined;
  });
  t.ok(ended.uris.length >= 2);
  t.same(disconnects, [], 'the publisher was never dropped');
  t.match(publisher.stats, { droppedFrames: 0, resyncedBytes: 0, ignoredStreamTypes: [] });
  t.equal(origin.registry.publishes().length, 0, 'the publish ended with the transport');
});

function decodeErrors(file: string): string {
  try {
    return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    return String(error);
  }
}

t.test('a refused publish tells the transport once and takes no more bytes', async (t) => {
  const origin = startOrigin(t, { allowed: false, reason: 'unknown key', refusal: 'denied' });
  const { publisher, disconnects, closes } = newPublisher();
  origin.gate.admit(publisher);
  await waitFor('the refusal', () => disconnects.length > 0);
  t.same(disconnects, ['publish refused or ended by the origin']);
  t.equal(closes(), 1, 'the publish closed once');
  publisher.write(new Uint8Array(188));
  publisher.end();
  publisher.disconnect();
  t.equal(disconnects.length, 1, 'told once, whatever happens after');
  t.equal(publisher.stats.bytesIn, 0, 'nothing taken after the refusal');
});

t.test('bytes piling up faster than they are demuxed drop the publisher instead of buffering', async (t) => {
  const { publisher, disconnects, closes } = newPublisher({ maxPendingBytes: 64 * 1024 });
  // All in one turn of the event loop: nothing is demuxed in between.
  for (let i = 0; i < 50; i += 1) publisher.write(new Uint8Array(1316).fill(0x47));
  t.equal(disconnects.length, 1);
  t.match(disconnects[0], /cannot keep up: more than 65536 bytes/);
  t.equal(closes(), 1);
  t.ok(publisher.isClosed);
});

t.test('bytes that are not MPEG-TS drop the publisher once the bound is read', async (t) => {
  const { publisher, disconnects } = newPublisher();
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  for (let sent = 0; sent <= MPEGTS_MAX_BYTES_WITHOUT_PROGRAM && disconnects.length === 0; sent += chunk.length) {
    publisher.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.match(disconnects, [/no MPEG-TS program \(PAT and PMT\)/]);
  t.equal(publisher.stats.resyncedBytes >= MPEGTS_MAX_BYTES_WITHOUT_PROGRAM - 376, true, 'every byte was searched for packets');
});

t.test('a program without H.264 or AAC is dropped, naming what it has', async (t) => {
  const { publisher, disconnects } = newPublisher();
  const ts = execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '1',
    '-c:v', 'mpeg2video', '-c:a', 'mp2', '-f', 'mpegts', 'pipe:1',
  ], { maxBuffer: 16 * 1024 * 1024 });
  publisher.write(ts);
  await waitFor('the drop', () => disconnects.length > 0);
  t.match(disconnects, [/no H\.264 \(0x1b\) or AAC ADTS \(0x0f\) stream \(stream types: 0x02, 0x03\)/]);
});
