import t from 'tap';
import { classifyPath } from '../../edge/src/stream-path.js';
import {
  LOW_LATENCY_PLAYLIST_FILE_NAME,
  initSectionFileName,
  lowLatencySegmentFileName,
  parseLowLatencyMediaName,
  partFileName,
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
  for (const name of [LOW_LATENCY_PLAYLIST_FILE_NAME, lowLatencySegmentFileName(7), partFileName(7, 5), initSectionFileName(7)]) {
    t.same(classifyPath(`/stream_1/${name}`), { kind: 'media', stream: 'stream_1', file: name }, name);
  }
});
