import t from 'tap';
import { maskUrlSecrets, redactUrlSecrets } from '../src/url-secrets.js';

t.test('credentials and query values are masked; scheme, host, port, path and query keys stay', async (t) => {
  t.equal(maskUrlSecrets('rtmp://user:hunter22@source.example/live/cam1'), 'rtmp://****:****@source.example/live/cam1');
  t.equal(maskUrlSecrets('srt://10.0.0.5:9000?streamid=read/cam&passphrase=correcthorse'), 'srt://10.0.0.5:9000?streamid=****&passphrase=****');
  t.equal(maskUrlSecrets('https://cdn.example/live.m3u8?token=abc123&x'), 'https://cdn.example/live.m3u8?token=****&x=****');
  t.equal(maskUrlSecrets('https://cdn.example/clip.mp4#t=10'), 'https://cdn.example/clip.mp4', 'the fragment goes');
  t.equal(maskUrlSecrets('http://[::1]:8080/a.flv'), 'http://[::1]:8080/a.flv', 'nothing secret: unchanged');
  t.equal(maskUrlSecrets('not a url'), '(not a URL)');
});

t.test('free text (ffmpeg output) loses the URL and each secret part, raw or decoded', async (t) => {
  const url = 'rtmp://alice:p%40ssword1@src.example/live/cam?token=tok3n_value';
  const text = `${url}: Input/output error; auth p@ssword1 for alice sent tok3n_value`;
  const redacted = redactUrlSecrets(text, url);
  for (const secret of ['p%40ssword1', 'p@ssword1', 'alice', 'tok3n_value']) t.notOk(redacted.includes(secret), `no ${secret}`);
  t.match(redacted, /^rtmp:\/\/\*\*\*\*:\*\*\*\*@src\.example\/live\/cam\?token=\*\*\*\*: Input\/output error/);
  t.equal(redactUrlSecrets('Connection refused v=1', 'http://h.example/a.flv?v=1'), 'Connection refused v=1', 'short values are not hunted in text');
});
