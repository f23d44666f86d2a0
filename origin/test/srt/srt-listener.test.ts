/**
 * The SRT listener against real ffmpeg (libsrt 1.5) as the caller: the MPEG-TS bytes ffmpeg sends
 * come out identical, also through a relay losing 5 % of the packets each way (NAKs, periodic NAKs
 * and retransmissions within a 200 ms latency); a refused stream id makes ffmpeg give up.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { SrtListener, type SrtAuthorization } from '../../src/srt/srt-listener.js';
import type { SrtConnection, SrtConnectionEnd } from '../../src/srt/srt-connection.js';
import { SRT_REJECTION } from '../../src/srt/srt-rejection.js';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { startLossyUdpRelay } from '../../../test-support/lossy-udp-relay.js';
import { sendBytesOverSrt, sendOverSrt } from '../../../test-support/srt-caller.js';
import { waitFor } from '../../../test-support/wait-for.js';

const execFileAsync = promisify(execFile);

const ALLOWED_STREAM_ID = 'publish/abcd1234/s3cret';

interface Received {
  connection: SrtConnection;
  chunks: Buffer[];
  ended: Promise<SrtConnectionEnd>;
}

async function startListener(t: Test, { latencyMs = 120, passphrase = undefined as string | undefined } = {}) {
  const asked: string[] = [];
  const received: Received[] = [];
  const listener = new SrtListener({
    host: '127.0.0.1',
    port: 0,
    latencyMs,
    receiveBufferPackets: 8192,
    udpReceiveBufferBytes: 4 * 1024 * 1024,
    idleTimeoutMs: 5000,
    maxConnections: 4,
    passphrase,
    logger: pino({ level: 'silent' }),
    authorize: async (streamId): Promise<SrtAuthorization<undefined>> => {
      asked.push(streamId);
      return streamId === ALLOWED_STREAM_ID ? { accept: true, grant: undefined } : { accept: false, code: SRT_REJECTION.forbidden };
    },
    onConnection: (connection) => {
      const chunks: Buffer[] = [];
      connection.onPayload((payload) => chunks.push(Buffer.from(payload)));
      received.push({ connection, chunks, ended: new Promise((resolve) => connection.onClose(resolve)) });
    },
  });
  const port = await listener.listen();
  t.teardown(() => listener.close());
  return { listener, port, asked, received };
}

function srtUrl(port: number, streamId: string, latencyMs: number): string {
  // ffmpeg takes latency in µs; linger lets it wait for the last packets' ACK before closing.
  return `srt://127.0.0.1:${port}?streamid=${streamId}&latency=${latencyMs * 1000}&linger=10`;
}

/** A known MPEG-TS file (6 s of H.264 + AAC, about 430 kB) to send byte for byte. */
async function knownTsFile(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'srt-listener-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sent.ts');
  await execFileAsync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', testAsset('h264-aac.flv'), '-c', 'copy', '-f', 'mpegts', file]);
  return file;
}

t.test('the bytes ffmpeg sends come out of the listener identical, in order', async (t) => {
  const { port, received, asked } = await startListener(t);
  const expected = await knownTsFile(t);
  const caller = sendBytesOverSrt(await readFile(expected), srtUrl(port, ALLOWED_STREAM_ID, 200));
  t.teardown(() => caller.stop());
  t.equal(await caller.exited, 0, `ffmpeg succeeds (${caller.stderr})`);
  const [only] = await waitFor('the connection', () => received.length === 1 && received);
  t.equal(await only!.ended, 'shutdown', 'ffmpeg closes with a shutdown');
  t.same(asked, [ALLOWED_STREAM_ID], 'the stream id is authorized once');
  t.equal(only!.connection.streamId, ALLOWED_STREAM_ID);
  t.equal(only!.connection.latencyMs, 200, "the caller's larger latency wins");
  const sent = await readFile(expected);
  t.ok(sent.byteLength > 100_000, 'a real amount of MPEG-TS was sent');
  t.ok(Buffer.concat(only!.chunks).equals(sent), `the ${sent.byteLength} bytes arrive identical`);
});

t.test('through a relay losing 5 % of the packets both ways, the bytes still arrive identical', async (t) => {
  const { port, received } = await startListener(t);
  const relay = await startLossyUdpRelay({ targetPort: port, lossRate: 0.05, seed: 15 });
  t.teardown(() => relay.close());
  const expected = await knownTsFile(t);
  // 500 ms: a retransmission must make it before the latency runs out, and on a loaded test
  // machine the relay shares this process's event loop with the listener (and ffmpeg a core).
  const caller = sendBytesOverSrt(await readFile(expected), srtUrl(relay.port, ALLOWED_STREAM_ID, 500), { bytesPerSecond: 120_000 });
  t.teardown(() => caller.stop());
  t.equal(await caller.exited, 0, `ffmpeg succeeds (${caller.stderr})`);
  const [only] = await waitFor('the connection', () => received.length === 1 && received);
  await only!.ended;
  t.ok(relay.dropped.toTarget > 10 && relay.dropped.toCaller > 0, `the relay lost packets both ways (${JSON.stringify(relay.dropped)})`);
  t.ok(only!.connection.stats.retransmittedPackets > 0, 'lost packets were sent again');
  const sent = await readFile(expected);
  t.ok(Buffer.concat(only!.chunks).equals(sent), `the ${sent.byteLength} bytes arrive identical`);
  t.equal(only!.connection.stats.droppedPackets, 0, `nothing was given up (${JSON.stringify(only!.connection.stats)})`);
});

t.test('a refused stream id makes ffmpeg give up, and nothing connects', async (t) => {
  const { port, received, asked } = await startListener(t);
  const caller = sendOverSrt(testAsset('h264-aac.flv'), srtUrl(port, 'publish/abcd1234/wrong', 200));
  t.teardown(() => caller.stop());
  const code = await caller.exited;
  t.not(code, 0, 'ffmpeg exits with an error');
  t.match(caller.stderr, /reject|forbidden|refused/i, `ffmpeg says it was refused (${caller.stderr.trim()})`);
  t.same(asked, ['publish/abcd1234/wrong']);
  t.equal(received.length, 0);
});

t.test('with SRT_PASSPHRASE: an AES-128 or AES-256 caller with it gets through byte for byte; a wrong or missing passphrase is refused', async (t) => {
  const passphrase = 'livestack-srt-passphrase';
  const { port, received } = await startListener(t, { passphrase });
  const expected = await knownTsFile(t);
  const sent = await readFile(expected);
  for (const keyLength of [16, 32]) {
    const caller = sendBytesOverSrt(sent, `${srtUrl(port, ALLOWED_STREAM_ID, 200)}&passphrase=${passphrase}&pbkeylen=${keyLength}`);
    t.teardown(() => caller.stop());
    t.equal(await caller.exited, 0, `ffmpeg succeeds (${caller.stderr})`);
    const last = await waitFor('the connection', () => received.length === keyLength / 16 && received.at(-1));
    await last.ended;
    t.ok(Buffer.concat(last.chunks).equals(sent), `AES-${keyLength * 8}: the ${sent.byteLength} bytes arrive decrypted, identical`);
  }
  for (const [what, extra] of [
    ['a wrong passphrase', '&passphrase=not-the-passphrase&pbkeylen=16'],
    ['no passphrase', ''],
  ]) {
    const caller = sendBytesOverSrt(sent, `${srtUrl(port, ALLOWED_STREAM_ID, 200)}${extra}`);
    t.teardown(() => caller.stop());
    t.not(await caller.exited, 0, `${what}: ffmpeg is refused (${caller.stderr.trim().slice(0, 200)})`);
  }
  t.equal(received.length, 2, 'the refused callers never connected');
});
