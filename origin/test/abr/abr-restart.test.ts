/**
 * A ladder whose process stops reading its input (a real process that never drains its stdin,
 * standing in for an ffmpeg that cannot keep up): the bytes waiting for it stay under the bound,
 * it is killed as behind and restarted after 1 s, 2 s, 4 s (timers run by hand), the status says
 * so, and the source's segments are all written meanwhile: feeding it never waited.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import t from 'tap';
import { pino } from 'pino';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { AbrStream } from '../../src/abr/abr-stream.js';
import { HlsDirectoryWriter } from '../../src/hls/hls-directory-writer.js';
import type { FlvTag } from '../../src/media/flv-tag.js';
import { SegmentDelayStats } from '../../src/packaging/segment-delay-stats.js';
import { StreamPackager } from '../../src/packaging/stream-packager.js';
import { AVC_RECORD_640X360, aacConfigTag, audioTag, avcConfigTag, videoTag } from '../media/fixtures/flv-tags.js';

const STREAM = 'stall123';
const logger = pino({ level: 'silent' });
const MAX_BACKLOG_BYTES = 256 * 1024;

/** `seconds` of 30 fps video (20 kB frames, a keyframe each second) and audio, from `startMs`. */
function media(startMs: number, seconds: number): FlvTag[] {
  const tags: FlvTag[] = [];
  for (let frame = 0; frame < seconds * 30; frame++) {
    const ms = startMs + Math.round((frame * 1000) / 30);
    tags.push(videoTag(ms, frame % 30 === 0, 0, 20_000), audioTag(ms));
  }
  return tags;
}

t.test('a ladder that stops draining is restarted with backoff while the source is packaged on', async (t) => {
  const dir = t.testdir();
  const script = join(dir, 'stalled-transcoder');
  // Reads nothing, writes nothing, until killed.
  await writeFile(script, '#!/bin/sh\nexec sleep 600\n');
  await chmod(script, 0o755);
  const hls = new HlsDirectoryWriter({ hlsPath: join(dir, 'hls'), targetDurationSeconds: 1, onBackgroundError: (error) => t.fail(error.message) });
  t.teardown(() => hls.close());
  const writer = hls.startStream(STREAM, { playlistFileName: 'source.m3u8' });
  const timers = new ManualTimers();
  const segments = { targetDurationSeconds: 1, maxDurationSeconds: 10, maxSegmentBytes: 16 * 1024 * 1024 };
  const abr = new AbrStream({
    streamName: STREAM,
    ladder: [{ height: 180, bitrate_bps: 200_000 }],
    settings: { maxStreams: 1, ffmpegPath: script, preset: 'veryfast', maxBacklogBytes: MAX_BACKLOG_BYTES, maxLagMs: 600_000, restartMaxMs: 30_000 },
    segments,
    hls,
    sourceWriter: writer,
    logger,
    schedule: timers.schedule,
  });
  t.teardown(() => abr.end());
  const packager = new StreamPackager({ streamName: STREAM, segments, writer, logger, delays: new SegmentDelayStats(), segmentObserver: abr, onRejected: (reason) => t.fail(reason) });
  const feed = (tags: FlvTag[]) => {
    for (const tag of tags) {
      packager.push(tag);
      abr.sourceTag(tag);
    }
  };

  feed([avcConfigTag(0, AVC_RECORD_640X360), aacConfigTag(0)]);
  t.match(abr.status, { state: 'starting', renditions: ['180p'], restarts: 0 }, 'a 180p rendition of the 360p source');
  const delays: number[] = [];
  for (let round = 0; round < 3; round++) {
    // 4 s of media in one go: far more than a pipe holds, so the process falls behind.
    feed(media(round * 4000, 4));
    t.match(abr.status, { state: 'restarting', restarts: round }, `round ${round}: behind, waiting to restart`);
    t.match(abr.status.lastStop, /^ffmpeg fell behind: [0-9]+ bytes unread$/);
    delays.push(...timers.pending);
    timers.advance(timers.pending[0]!);
    t.match(abr.status, { state: 'starting', restarts: round + 1 }, 'restarted');
  }
  t.same(delays, [1000, 2000, 4000], 'the waits double');

  await packager.end();
  const source = HLS.parse(await readFile(join(hls.hlsPath, STREAM, 'source.m3u8'), 'utf8')) as HLS.types.MediaPlaylist;
  t.equal(source.segments.length, 12, 'every second of the source is a segment: feeding the ladder never held it up');
  t.ok(source.endlist);
});
