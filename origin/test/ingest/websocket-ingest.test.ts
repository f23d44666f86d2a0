/**
 * The WebSocket ingest's bounds and teardown over a real HTTP server and real ffmpeg, with the API
 * and the packager stood in for: what the authorizer says decides the upgrade, a silent, text-
 * sending or too-fast page is dropped with a close code it can read, and every dropped or closed
 * publisher ends its publish exactly once.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import type { PublishDecision } from '../../src/ingest/publish-authorizer.js';
import type { PublishTarget } from '../../src/ingest/publish-gate.js';
import { WebSocketIngest } from '../../src/ingest/websocket-ingest.js';
import type { WebSocketIngestLimits } from '../../src/ingest/websocket-ingest-settings.js';

const LIMITS: WebSocketIngestLimits = { maxMessageBytes: 64 * 1024, maxBytesPerSecond: 64 * 1024, idleTimeoutMs: 300, maxPendingBytes: 1024 * 1024 };
const ALLOWED: PublishDecision = { allowed: true, streamName: 'abcd1234', keyGeneration: 1 };

async function startIngest(t: Test, decision: PublishDecision, limits = LIMITS, ffmpegPath = 'ffmpeg') {
  const ended: string[] = [];
  const target: PublishTarget = {
    open: (grant) => ({ sink: () => undefined, end: () => ended.push(grant.streamName) }),
  };
  const asked: string[] = [];
  const ingest = new WebSocketIngest({
    authorizer: { authorize: async (request) => (asked.push(request.name), decision) },
    target,
    limits,
    ffmpegPath,
    logger: pino({ level: 'silent' }),
  });
  const server: Server = createServer((_request, response) => response.end());
  ingest.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    ingest.close();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = (key = 'publish_abcd1234_secret') => `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ingest/ws?stream_key=${key}`;
  return { ingest, ended, asked, url };
}

function connect(url: string) {
  const socket = new WebSocket(url);
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const status = new Promise<number>((resolve) => {
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
  });
  return { socket, closed, status };
}

t.test('a refused key gets 403, an API that cannot answer 503; the upgrade never happens', async (t) => {
  const denied = await startIngest(t, { allowed: false, reason: 'unknown key', refusal: 'denied' });
  t.equal(await connect(denied.url()).status, 403);
  t.same(denied.asked, ['publish_abcd1234_secret'], 'the key went to the authorizer');
  const unavailable = await startIngest(t, { allowed: false, reason: 'timeout', refusal: 'api_unavailable' });
  t.equal(await connect(unavailable.url()).status, 503);
  t.same(unavailable.ended, [], 'nothing was published');
});

t.test('another path is 404, no stream_key 400, without asking the API', async (t) => {
  const ingest = await startIngest(t, ALLOWED);
  t.equal(await connect(ingest.url().replace('/ingest/ws', '/other')).status, 404);
  t.equal(await connect(ingest.url().replace(/\?.*$/, '')).status, 400);
  t.same(ingest.asked, []);
});

t.test('a publisher that sends nothing is dropped and its publish ends once', async (t) => {
  const ingest = await startIngest(t, ALLOWED);
  const page = connect(ingest.url());
  t.equal(await page.status, 101);
  t.same(await page.closed, { code: 1008, reason: 'idle: no media' });
  t.same(ingest.ended, ['abcd1234']);
  t.equal(ingest.ingest.size, 0);
});

t.test('a text message is refused: WebM comes as binary messages', async (t) => {
  const ingest = await startIngest(t, ALLOWED, { ...LIMITS, idleTimeoutMs: 60_000 });
  const page = connect(ingest.url());
  await page.status;
  page.socket.send('hello');
  t.same(await page.closed, { code: 1008, reason: 'binary WebM messages only' });
  t.same(ingest.ended, ['abcd1234']);
});

t.test('a publisher over WS_INGEST_MAX_BYTES_PER_SECOND is dropped', async (t) => {
  const ingest = await startIngest(t, ALLOWED, { ...LIMITS, idleTimeoutMs: 60_000 });
  const page = connect(ingest.url());
  await page.status;
  // Five seconds' worth and one message more, at once.
  for (let i = 0; i <= 5; i += 1) page.socket.send(Buffer.alloc(64 * 1024));
  const { code, reason } = await page.closed;
  t.equal(code, 1008);
  t.match(reason, /bytes\/s/);
  t.same(ingest.ended, ['abcd1234']);
});

t.test('bytes that are not WebM stop the transcoder and drop the publisher', async (t) => {
  const ingest = await startIngest(t, ALLOWED, { ...LIMITS, idleTimeoutMs: 60_000 });
  const page = connect(ingest.url());
  await page.status;
  page.socket.send(Buffer.from('this is not a WebM file at all'));
  page.socket.close(1000, 'done sending');
  await page.closed;
  t.same(ingest.ended, ['abcd1234'], 'ended once, whether the close or the transcoder came first');
});

t.test('the page closing ends the publish', async (t) => {
  const ingest = await startIngest(t, ALLOWED, { ...LIMITS, idleTimeoutMs: 60_000 });
  const page = connect(ingest.url());
  await page.status;
  page.socket.close(1000, 'bye');
  t.equal((await page.closed).code, 1000);
  while (ingest.ended.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(ingest.ended, ['abcd1234']);
});

t.test('a transcoder that does not read is not buffered for: the publisher is dropped with 1011', async (t) => {
  // Stands in for an ffmpeg that has stalled: it never reads its stdin.
  const folder = await mkdtemp(path.join(os.tmpdir(), 'ws-ingest-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  const stalled = path.join(folder, 'stalled-ffmpeg');
  await writeFile(stalled, '#!/bin/sh\nexec sleep 600\n');
  await chmod(stalled, 0o755);
  const limits = { ...LIMITS, idleTimeoutMs: 60_000, maxBytesPerSecond: 64 * 1024 * 1024, maxPendingBytes: 256 * 1024 };
  const ingest = await startIngest(t, ALLOWED, limits, stalled);
  const page = connect(ingest.url());
  await page.status;
  // Far more than the pipe and the bound hold together; sent until the server closes.
  for (let i = 0; i < 64 && page.socket.readyState === WebSocket.OPEN; i += 1) {
    page.socket.send(Buffer.alloc(32 * 1024));
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.same(await page.closed, { code: 1011, reason: 'the transcoder cannot keep up' });
  t.same(ingest.ended, ['abcd1234']);
});
