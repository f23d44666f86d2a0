import t from 'tap';
import { RECORDER_TYPES, describeIngestClose, pickRecorderType, webSocketIngestUrl } from '../src/browser-go-live.js';

t.test('H.264 WebM when the browser records it, else VP8, VP9, any WebM, or nothing', async (t) => {
  t.equal(pickRecorderType(() => true), 'video/webm;codecs=h264,opus');
  t.equal(pickRecorderType((type) => type.includes('vp')), 'video/webm;codecs=vp8,opus');
  t.equal(pickRecorderType((type) => type.includes('vp9')), 'video/webm;codecs=vp9,opus');
  t.equal(pickRecorderType((type) => type === 'video/webm'), 'video/webm');
  t.equal(pickRecorderType(() => false), undefined);
  t.ok(RECORDER_TYPES.every((type) => type.startsWith('video/webm')), 'only WebM: what the origin reads');
});

t.test('the key goes into the template percent-encoded', async (t) => {
  t.equal(
    webSocketIngestUrl('wss://live.example:8443/ingest/ws?stream_key={stream_key}', 'publish_abcd1234_Secret'),
    'wss://live.example:8443/ingest/ws?stream_key=publish_abcd1234_Secret',
  );
  t.equal(webSocketIngestUrl('ws://localhost:8080/ingest/ws?stream_key={stream_key}', 'a b&c=d'), 'ws://localhost:8080/ingest/ws?stream_key=a%20b%26c%3Dd');
});

t.test('every close the origin sends is said in words, never as a bare code', async (t) => {
  const cases: Array<[number, string, boolean, RegExp]> = [
    [1006, '', false, /refused the connection or could not be reached: the stream key may have been reset/],
    [1006, '', true, /connection to the ingest server was lost/],
    [1001, 'origin stopping', true, /shutting down/],
    [1009, '', true, /larger than the ingest server accepts/],
    [1011, 'the transcoder cannot keep up', true, /could not keep up/],
    [1008, 'idle: no media', true, /no video from this browser for too long/],
    [1008, 'more than 4194304 bytes/s', true, /more data per second/],
    [1008, 'publish refused', true, /stream key was reset or the stream was deleted/],
    [1008, 'transcoder stopped (1): not WebM?', true, /^The ingest server ended the broadcast: transcoder stopped \(1\): not WebM\?\.$/],
    [4000, '', true, /^The ingest server closed the connection \(code 4000\)\.$/],
  ];
  for (const [code, reason, opened, words] of cases) {
    const said = describeIngestClose(code, reason, opened);
    t.match(said, words, `${code} ${reason}`);
    t.match(said, /^[A-Z].*[.)]$/, 'a sentence');
  }
});
