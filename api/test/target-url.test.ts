import t from 'tap';
import { maskStreamKey } from '../src/restream/masked-stream-key.js';
import { checkTargetUrl, displayUrl } from '../src/restream/target-url.js';

t.test('valid target URLs and the host to resolve', async (t) => {
  const cases: [string, string][] = [
    ['rtmp://live.twitch.tv/app', 'live.twitch.tv'],
    ['rtmp://a.rtmp.youtube.com/live2', 'a.rtmp.youtube.com'],
    ['rtmps://live-api-s.facebook.com:443/rtmp', 'live-api-s.facebook.com'],
    ['rtmp://203.0.113.5:1935/live/app?token=x', '203.0.113.5'],
    ['rtmp://[2001:db8::1]:1935/app', '2001:db8::1'],
    ['RTMP://Example.COM/app', 'Example.COM'],
  ];
  for (const [url, host] of cases) t.same(checkTargetUrl(url), { ok: true, host }, url);
});

t.test('invalid target URLs name the problem', async (t) => {
  const cases: [string, RegExp][] = [
    ['live.twitch.tv/app', /must be a URL/],
    ['http://live.twitch.tv/app', /must start with rtmp:\/\/ or rtmps:\/\//],
    ['srt://host:1/app', /must start with rtmp/],
    ['rtmp://user:secret@host/app', /must not contain credentials/],
    ['rtmp://:pw@host/app', /must not contain credentials/],
    ['rtmp:///app', /must name a host/],
    ['rtmp://host', /application path/],
    ['rtmp://host/', /application path/],
    ['rtmp://host//', /application path/],
    ['rtmp://ho_st/app', /host name or an IP address/],
    ['rtmp://%31%32%37.0.0.1/app', /host name or an IP address/],
    ['rtmp://[::g]/app', /must be a URL|host name/],
    ['rtmp://host/app#x', /fragment/],
    ['rtmp://host/a pp', /spaces or control characters/],
    [`rtmp://host/${'a'.repeat(1100)}`, /at most 1024 characters/],
  ];
  for (const [url, problem] of cases) {
    const check = checkTargetUrl(url);
    t.equal(check.ok, false, url);
    if (!check.ok) t.match(check.problem, problem, url);
  }
});

t.test('displayUrl keeps scheme and host only', async (t) => {
  t.equal(displayUrl('rtmp://user:hunter2@host:1935/app/live_123_secret?x=1'), 'rtmp://host:1935/…');
  t.equal(displayUrl('rtmp://host'), 'rtmp://host');
  t.equal(displayUrl('not a url'), '(not a URL)');
});

t.test('maskStreamKey shows the last 4 characters of a long key, nothing of a short one', async (t) => {
  t.equal(maskStreamKey('live_106415581_abcdefghijklmnop'), '****mnop');
  t.equal(maskStreamKey('f0gh-mycg-xxxx-a1b2'), '****a1b2');
  t.equal(maskStreamKey('123456789012'), '****9012');
  t.equal(maskStreamKey('12345678901'), '****');
  t.equal(maskStreamKey('k'), '****');
});
