/**
 * Issue 14: no memory per stream outlives the stream. Real ffmpeg publishers into a real origin
 * (with its API and Redis); the origin's own memory split (GET /stats) is read after a full
 * garbage collection (a heap snapshot on SIGUSR2, test-support/forced-collection.ts), so the
 * figures are what it retains, not what waits for the collector. RSS is not compared: the
 * allocator keeps freed pages, so RSS says little about what is held.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { ProcessMemory } from '../origin/src/process-memory.js';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { forceFullCollection, snapshotOnSignalFlags } from '../test-support/forced-collection.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const STREAMS = 6;
const MB = 1024 * 1024;
/** What a live MPEG-TS muxer holds at least: the chunk it is filling (origin/src/media/ts-muxer.ts). */
const CHUNK_BYTES = 348 * 188;
/** JS heap allowed to stay after every stream ended (compiled code, metrics' first samples). */
const HEAP_SLACK_BYTES = 4 * MB;

/** Buffers held beyond the start's, less the spare segment chunks the origin keeps for any stream. */
function heldBuffers(memory: ProcessMemory, start: ProcessMemory): number {
  return memory.arrayBuffersBytes - memory.spareSegmentChunkBytes - (start.arrayBuffersBytes - start.spareSegmentChunkBytes);
}

let platform: Platform;
let diagnostics: string;

t.before(async () => {
  diagnostics = await mkdtemp(path.join(os.tmpdir(), 'livestack-origin-memory-'));
  platform = await startPlatform(
    {},
    {
      origin: {
        NODE_OPTIONS: snapshotOnSignalFlags(diagnostics).join(' '),
        // The MPEG-TS output only: the LL-HLS one keeps an ended stream's parts for its grace period by design.
        HLS_LOW_LATENCY: '0',
      },
    },
  );
});
t.teardown(async () => {
  await platform?.stop();
  await rm(diagnostics, { recursive: true, force: true });
});

async function stats(): Promise<{ liveStreams: number; memory: ProcessMemory }> {
  const response = await fetch(`${platform.originUrl}/stats`);
  if (!response.ok) throw new Error(`GET /stats: ${response.status}`);
  return (await response.json()) as { liveStreams: number; memory: ProcessMemory };
}

async function retained(): Promise<ProcessMemory> {
  await forceFullCollection(platform.pid('origin')!, diagnostics);
  return (await stats()).memory;
}

async function segmentsListed(stream: string): Promise<number> {
  const text = await readFile(path.join(platform.hlsPath, stream, 'index.m3u8'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.endsWith('.ts')).length;
}

t.test(`${STREAMS} streams published, then ended: the origin's memory goes back to where it started`, async (t) => {
  const start = await retained();
  const names = Array.from({ length: STREAMS }, (_, i) => `memory-${i + 1}`);
  const publishers: Publisher[] = names.map((name) => publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${name}`, { loops: -1 }));
  t.teardown(() => Promise.all(publishers.map((p) => p.stop())));
  await waitFor(
    'every stream to have two segments listed',
    async () => (await Promise.all(names.map(segmentsListed))).every((count) => count >= 2),
    { timeoutMs: 120_000, intervalMs: 250 },
  );

  const live = await retained();
  t.equal((await stats()).liveStreams, STREAMS);
  // The measurement sees what streams hold: without this, a test that cannot fail.
  const liveHeld = heldBuffers(live, start);
  t.ok(liveHeld >= STREAMS * CHUNK_BYTES, `live streams hold buffers: ${(liveHeld / MB).toFixed(2)} MB more than at start`);

  await Promise.all(publishers.map((p) => p.stop()));
  await waitFor('every publish to end', async () => (await stats()).liveStreams === 0, { timeoutMs: 60_000, intervalMs: 250 });
  const end = await retained();
  // A stream whose state outlived it would keep at least its muxer's chunk: less than half of one per stream stays.
  const endHeld = heldBuffers(end, start);
  t.ok(
    endHeld < (STREAMS * CHUNK_BYTES) / 2,
    `buffers held after the end: ${(endHeld / MB).toFixed(2)} MB more than at start (live: ${(liveHeld / MB).toFixed(2)} MB; spare chunks ${(end.spareSegmentChunkBytes / MB).toFixed(2)} MB)`,
  );
  t.ok(
    end.heapUsedBytes - start.heapUsedBytes < HEAP_SLACK_BYTES,
    `JS heap after the end: ${(end.heapUsedBytes / MB).toFixed(2)} MB, at start ${(start.heapUsedBytes / MB).toFixed(2)} MB, live ${(live.heapUsedBytes / MB).toFixed(2)} MB`,
  );
});
