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
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import type { PublishDecision } from '../../src/ingest/publish-authorizer.js';
import type { PublishTarget } from '../../src/ingest/publish-gate.js';
import { WebSocketIngest } from '../../src/ingest/websocket-ingest.js';
import type { WebSocketIngestLimits } from '../../src/ingest/websocket-ingest-settings.js';

const LIMITS: WebSocketIngestLimits = { maxMessageBytes: 64 * 1024, maxBytesPerSecond: 64 * 1024, idleTimeoutMs: 300, maxPendingBytes: 1024 * 1024, maxConnections: 20 };
const ALLOWED: PublishDecision = { allowed: true, streamName: 'abcd1234', keyGeneration: 1 };

async function startIngest(t: Test, decision: PublishDecision | (() => Promise<PublishDecision>), limits = LIMITS, ffmpegPath = 'ffmpeg') {
  const ended: string[] = [];
  const target: PublishTarget = {
    open: (grant) => ({ sink: () => undefined, end: () => ended.push(grant.streamName) }),
  };
  const asked: string[] = [];
  const ingest = new WebSocketIngest({
    authorizer: { authorize: async (request) => (asked.push(request.name), typeof decision === 'function' ? decision() : decision) },
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
  const port = () => (server.address() as AddressInfo).port;
  const url = (key = 'publish_abcd1234_secret') => `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ingest/ws?stream_key=${key}`;
  return { ingest, ended, asked, url, port };
}

function connect(url: string) {
  const socket = new WebSocket(url);
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let refusal = '';
  const status = new Promise<number>((resolve) => {
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (_request, response) => {
      response.setEncoding('utf8').on('data', (piece: string) => (refusal += piece));
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
  });
  return { socket, closed, status, refusal: () => refusal };
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

t.test('a drain waits for the browser publishers: whenNoPublishers resolves once the last page leaves', async (t) => {
  const ingest = await startIngest(t, ALLOWED, { ...LIMITS, idleTimeoutMs: 60_000 });
  const page = connect(ingest.url());
  t.equal(await page.status, 101);
  while (ingest.ingest.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  ingest.ingest.stopAccepting();
  let drained = false;
  const whenDrained = ingest.ingest.whenNoPublishers().then(() => (drained = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(drained, false, 'not while the page publishes');
  t.equal(await connect(ingest.url()).status, 503, 'a new page is refused meanwhile');
  page.socket.close(1000, 'done');
  await whenDrained;
  t.equal(ingest.ingest.size, 0);
  t.equal(await ingest.ingest.whenNoPublishers(), undefined, 'at once when none is live');
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

t.test('WS_INGEST_MAX_CONNECTIONS bounds the publishers held at once; a refused or ended one frees its place', async (t) => {
  const limits = { ...LIMITS, idleTimeoutMs: 60_000, maxConnections: 1 };
  const denied = await startIngest(t, { allowed: false, reason: 'unknown key', refusal: 'denied' }, limits);
  t.same([await connect(denied.url()).status, await connect(denied.url()).status], [403, 403], 'a refused key holds no place');

  const ingest = await startIngest(t, ALLOWED, limits);
  const first = connect(ingest.url());
  t.equal(await first.status, 101);
  const second = connect(ingest.url());
  t.equal(await second.status, 503, 'one more than the bound is refused at the upgrade');
  t.match(JSON.parse(second.refusal()), { error: { code: 'LIVE_ERR_UNAVAILABLE', message: /browser publishers/ } });
  t.same(ingest.asked, ['publish_abcd1234_secret'], 'without asking the API');
  first.socket.close(1000, 'bye');
  await first.closed;
  while (ingest.ended.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const third = connect(ingest.url());
  t.equal(await third.status, 101, 'the place is free again once the first publish ended');
  third.socket.close(1000, 'bye');
  await third.closed;
});

t.test('a client resetting its connection while the key is authorized leaves the origin standing', async (t) => {
  const DENIED: PublishDecision = { allowed: false, reason: 'unknown key', refusal: 'denied' };
  // The first key is held until the test answers; the next ones are refused at once.
  let answer: ((decision: PublishDecision) => void) | undefined;
  const held = new Promise<PublishDecision>((resolve) => (answer = resolve));
  let calls = 0;
  const ingest = await startIngest(t, () => (calls++ === 0 ? held : Promise.resolve(DENIED)), { ...LIMITS, maxConnections: 1 });
  const raw = connectTcp(ingest.port(), '127.0.0.1');
  raw.on('error', () => undefined);
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.write(
    'GET /ingest/ws?stream_key=publish_abcd1234_secret HTTP/1.1\r\nHost: origin\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  while (ingest.asked.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  // An RST, not a FIN: the server's socket sees ECONNRESET (an uncaught error would end this process).
  raw.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
  answer!(DENIED);
  const next = connect(ingest.url());
  t.equal(await next.status, 403, 'the server answers the next page, and the reset one holds no place');
});
