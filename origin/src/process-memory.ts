/**
 * Where the origin's memory is, for `GET /stats` and the benchmarks: resident set size split into
 * V8's heap (what JS objects use, and what V8 reserved for them) and memory outside it (Buffers and
 * ArrayBuffers: the media). Comparing these at 0 and N live streams tells which one grows per stream.
 */
import v8 from 'node:v8';
import { sharedTsChunks } from './media/ts-muxer.js';

export interface ProcessMemory {
  rssBytes: number;
  /** V8 heap reserved from the system (young and old generation, code). */
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** The young generation's reserved size: it grows with the allocation rate, up to --max-semi-space-size. */
  newSpaceBytes: number;
  /** C++ objects tied to JS ones, ArrayBuffers included. */
  externalBytes: number;
  /** Buffers and typed arrays' backing stores (part of external). */
  arrayBuffersBytes: number;
  /** Spare MPEG-TS chunks kept for the next segments (part of arrayBuffers): held by no stream. */
  spareSegmentChunkBytes: number;
}

export function processMemory(): ProcessMemory {
  const usage = process.memoryUsage();
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return {
    rssBytes: usage.rss,
    heapTotalBytes: usage.heapTotal,
    heapUsedBytes: usage.heapUsed,
    newSpaceBytes: newSpace?.space_size ?? 0,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
    spareSegmentChunkBytes: sharedTsChunks.spareBytes,
  };
}
