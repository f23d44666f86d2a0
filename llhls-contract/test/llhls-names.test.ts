import t from 'tap';
import { classifyPath } from '../../edge/src/stream-path.js';
import {
  LOW_LATENCY_PLAYLIST_FILE_NAME,
  initSectionFileName,
  lowLatencySegmentFileName,
  parseLowLatencyMediaName,
  parseLowLatencyPlaylistName,
  partFileName,
  renditionLowLatencyNaming,
  variantLowLatencyPlaylistFileName,
} from '../src/llhls-names.js';

t.test('names hold the media sequence number (and the part index), and read back', async (t) => {
  const msn = 1714564800000;
  t.equal(lowLatencySegmentFileName(msn), '1714564800000.m4s');
  t.equal(partFileName(msn, 3), '1714564800000.3.m4s');
  t.equal(initSectionFileName(msn), 'init-1714564800000.mp4');
  t.same(parseLowLatencyMediaName(lowLatencySegmentFileName(msn)), { kind: 'segment', mediaSequenceNumber: msn });
  t.same(parseLowLatencyMediaName(partFileName(msn, 3)), { kind: 'part', mediaSequenceNumber: msn, partIndex: 3 });
  t.same(parseLowLatencyMediaName(initSectionFileName(msn)), { kind: 'init', mediaSequenceNumber: msn });
  t.same(parseLowLatencyMediaName('0.0.m4s'), { kind: 'part', mediaSequenceNumber: 0, partIndex: 0 });
});

t.test("ABR: each variant's LL playlist, and a rendition's media prefixed with its name, read back", async (t) => {
  const msn = 1714564800000;
  const naming = renditionLowLatencyNaming('360p');
  t.equal(naming.part(msn, 2), '360p-1714564800000.2.m4s');
  t.equal(naming.segment(msn), '360p-1714564800000.m4s');
  t.equal(naming.init(msn), '360p-init-1714564800000.mp4');
  t.same(parseLowLatencyMediaName(naming.part(msn, 2)), { kind: 'part', mediaSequenceNumber: msn, partIndex: 2, rendition: '360p' });
  t.same(parseLowLatencyMediaName(naming.segment(msn)), { kind: 'segment', mediaSequenceNumber: msn, rendition: '360p' });
  t.same(parseLowLatencyMediaName(naming.init(msn)), { kind: 'init', mediaSequenceNumber: msn, rendition: '360p' });
  t.equal(variantLowLatencyPlaylistFileName('source'), 'source-ll.m3u8');
  t.equal(variantLowLatencyPlaylistFileName('1080p'), '1080p-ll.m3u8');
  t.same(parseLowLatencyPlaylistName(LOW_LATENCY_PLAYLIST_FILE_NAME), { kind: 'entry' });
  t.same(parseLowLatencyPlaylistName('source-ll.m3u8'), { kind: 'variant', variant: 'source' });
  t.same(parseLowLatencyPlaylistName('720p-ll.m3u8'), { kind: 'variant', variant: '720p' });
  for (const name of ['index.m3u8', 'source.m3u8', '720p.m3u8', 'x-ll.m3u8', '0p-ll.m3u8', '0720p-ll.m3u8', '12345p-ll.m3u8', 'll.m3u8.tmp', '-ll.m3u8']) {
    t.equal(parseLowLatencyPlaylistName(name), undefined, name);
  }
  for (const name of ['source-1.m4s', '720p-1.ts', 'p-1.m4s', '0720p-1.m4s', '720p-007.m4s', '720p--1.m4s', '720p-init-.mp4']) {
    t.equal(parseLowLatencyMediaName(name), undefined, name);
  }
});

t.test('other names are not low-latency media', async (t) => {
  for (const name of [
    'index.m3u8',
    LOW_LATENCY_PLAYLIST_FILE_NAME,
    '12.ts',
    '007.m4s',
    '1.02.m4s',
    '1.2.3.m4s',
    '-1.m4s',
    '1.m4s.tmp',
    'init-1.m4s',
    'init-.mp4',
    '1.mp4',
    '99999999999999999999.m4s',
    '1.99999999999999999999.m4s',
  ]) {
    t.equal(parseLowLatencyMediaName(name), undefined, name);
  }
});

t.test('the edge proxies every name, the playlist included', async (t) => {
  for (const name of [LOW_LATENCY_PLAYLIST_FILE_NAME, lowLatencySegmentFileName(7), partFileName(7, 5), initSectionFileName(7), 'source-ll.m3u8', '360p-ll.m3u8', '360p-7.5.m4s']) {
    t.same(classifyPath(`/stream_1/${name}`), { kind: 'media', stream: 'stream_1', file: name }, name);
  }
});
