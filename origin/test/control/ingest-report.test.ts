import t from 'tap';
import { ingestReport, readingOf } from '../../src/control/ingest-report.js';
import type { LivePublishInfo } from '../../src/packaging/live-stream-registry.js';

function publish(overrides: Partial<LivePublishInfo['media']> = {}, bytesIn = 0): LivePublishInfo {
  return {
    sessionId: 's1',
    stream: 'abc12345',
    keyGeneration: 0,
    bytesIn,
    media: {
      tracks: {
        video: { codec: 'avc1.64001f', width: 1280, height: 720 },
        audio: { codec: 'mp4a.40.2', sampleRate: 44_100, channels: 2 },
      },
      videoFrames: { intervals: 0, spanMs: 0 },
      ...overrides,
    },
  };
}

t.test('bitrate and frame rate between two readings; tracks as the packager decided them', async (t) => {
  const before = readingOf(publish({}, 1_000_000));
  const after = publish({ videoFrames: { intervals: 50, spanMs: 2002 } }, 1_750_000);
  t.same(ingestReport(after, before, 2), {
    bitrate_bps: 3_000_000,
    video: { codec: 'avc1.64001f', width: 1280, height: 720, fps: 24.98 },
    audio: { codec: 'mp4a.40.2', sample_rate: 44_100, channels: 2 },
  });
});

t.test('a publish new since the previous beat: its bytes count from its start, its frame rate is not known yet', async (t) => {
  t.match(ingestReport(publish({ videoFrames: { intervals: 30, spanMs: 1000 } }, 500_000), undefined, 4), {
    bitrate_bps: 1_000_000,
    video: { fps: null },
  });
});

t.test('tracks not decided yet, or only one of them', async (t) => {
  t.same(ingestReport(publish({ tracks: undefined }), undefined, 1), { bitrate_bps: 0, video: null, audio: null });
  const audioOnly = publish({ tracks: { audio: { codec: 'mp4a.40.5', sampleRate: 48_000, channels: 1 } } });
  t.same(ingestReport(audioOnly, undefined, 1), { bitrate_bps: 0, video: null, audio: { codec: 'mp4a.40.5', sample_rate: 48_000, channels: 1 } });
});

t.test("values a publisher's odd SPS or timestamps make stay inside the contract", async (t) => {
  const odd = publish({
    tracks: {
      video: { codec: 'avc1.640028', width: -32, height: 70_000 },
      audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 7 },
    },
    videoFrames: { intervals: 100, spanMs: 1 },
  });
  t.same(ingestReport(odd, readingOf(publish()), 1), {
    bitrate_bps: 0,
    video: { codec: 'avc1.640028', width: null, height: null, fps: null },
    audio: { codec: 'mp4a.40.2', sample_rate: 48_000, channels: 8 },
  });
  const unknownSize = publish({ tracks: { video: { codec: 'avc1.64001f' } } });
  t.match(ingestReport(unknownSize, undefined, 1), { video: { width: null, height: null } });
  t.match(ingestReport(publish({}, 0), readingOf(publish({}, 100)), 0), { bitrate_bps: 0 }, 'never negative, never a division by zero');
});

t.test("a publish's ABR ladder, as lifecycle shows it", async (t) => {
  const restarting = { ...publish(), abr: { state: 'restarting' as const, renditions: ['360p'], restarts: 2, lastStop: 'ffmpeg exited (SIGKILL)' } };
  t.same(ingestReport(restarting, undefined, 1).abr, { state: 'restarting', renditions: ['360p'], restarts: 2, last_stop: 'ffmpeg exited (SIGKILL)' });
  const overLimit = { ...publish(), abr: { state: 'over-limit' as const, renditions: [] as [], restarts: 0 as const } };
  t.same(ingestReport(overLimit, undefined, 1).abr, { state: 'over-limit', renditions: [], restarts: 0 }, 'past ABR_MAX_STREAMS: said so');
  t.notOk('abr' in ingestReport(publish(), undefined, 1), 'absent when the stream does not ask for ABR');
});
