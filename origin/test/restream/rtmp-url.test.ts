import t from 'tap';
import { maskSecret } from '../../src/restream/restream-errors.js';
import { parseRtmpTarget } from '../../src/restream/rtmp-url.js';

t.test('platform ingest URLs', async (t) => {
  t.same(parseRtmpTarget('rtmp://live.twitch.tv/app', 'live_123_abc'), {
    secure: false, host: 'live.twitch.tv', port: 1935, app: 'app', tcUrl: 'rtmp://live.twitch.tv/app',
    streamName: 'live_123_abc', label: 'rtmp://live.twitch.tv/app',
  });
  t.match(parseRtmpTarget('rtmps://live-api-s.facebook.com:443/rtmp/', 'FB-1?s_bl=1'), {
    secure: true, host: 'live-api-s.facebook.com', port: 443, app: 'rtmp', tcUrl: 'rtmps://live-api-s.facebook.com:443/rtmp', streamName: 'FB-1?s_bl=1',
  });
  t.match(parseRtmpTarget('rtmps://a.rtmps.youtube.com/live2', 'abcd-efgh'), { port: 443, app: 'live2' });
  t.match(parseRtmpTarget('rtmp://10.0.0.5:1936/app/instance', 'k'), { host: '10.0.0.5', port: 1936, app: 'app/instance', tcUrl: 'rtmp://10.0.0.5:1936/app/instance' });
  t.match(parseRtmpTarget('rtmp://[::1]:1935/live', 'k'), { host: '::1', port: 1935 });
});

t.test('an empty key: the URL ends with the stream name', async (t) => {
  t.match(parseRtmpTarget('rtmp://host/live/secret', ''), { app: 'live', streamName: 'secret', label: 'rtmp://host/live' });
});

t.test('a query on the base URL goes to the app, not the label', async (t) => {
  t.match(parseRtmpTarget('rtmp://host/live?token=t0k', 'k'), { app: 'live?token=t0k', tcUrl: 'rtmp://host/live?token=t0k', label: 'rtmp://host/live' });
});

t.test('unusable URLs are fatal errors that quote no key', async (t) => {
  const url = { code: 'RESTREAM_ERR_URL', disposition: 'fatal' };
  t.throws(() => parseRtmpTarget('http://host/app', 'k'), { ...url, message: /scheme "http:"/ });
  t.throws(() => parseRtmpTarget('not a url', 'k'), url);
  t.throws(() => parseRtmpTarget('rtmp://host', 'k'), { ...url, message: /no application path/ });
  t.throws(() => parseRtmpTarget('rtmp://host/app', ' '), { ...url, message: /no stream key/ });
});

t.test('maskSecret hides the key, with or without its query', async (t) => {
  t.equal(maskSecret('publish live_123?bw=1 refused', 'live_123?bw=1'), 'publish *** refused');
  t.equal(maskSecret('/app/live_123 is now published', 'live_123?bw=1'), '/app/*** is now published');
  t.equal(maskSecret('nothing here', ''), 'nothing here');
  t.equal(maskSecret('status: retrying', 's'), 'status: retrying', 'a one-letter test key does not garble messages');
});
