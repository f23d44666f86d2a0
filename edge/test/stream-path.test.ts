import t from 'tap';
import { classifyPath, mediaKindOf, pathOf } from '../src/stream-path.js';

t.test('media paths', async (t) => {
  t.same(classifyPath('/golive/index.m3u8'), { kind: 'media', stream: 'golive', file: 'index.m3u8' });
  t.same(classifyPath('/golive/index123.ts?token=x'), { kind: 'media', stream: 'golive', file: 'index123.ts' });
  for (const file of ['init.mp4', 'part-1.m4s', 'audio_7.aac', 'a.b.ts', '_x.ts', '-x.ts']) {
    t.equal(classifyPath(`/s/${file}`).kind, 'media', file);
  }
  t.equal(classifyPath(`/${'A_-9'.repeat(32)}/index.m3u8`).kind, 'media', 'a 128-character stream name');
});

t.test('DASH: the manifest is a playlist (it changes), its segments and inits are immutable', async (t) => {
  t.same(classifyPath('/golive/index.mpd?token=x'), { kind: 'media', stream: 'golive', file: 'index.mpd' });
  t.equal(mediaKindOf('index.mpd'), 'playlist');
  for (const file of ['v-1796065149345-3.m4s', 'a-init-1796065149345.mp4']) {
    t.equal(classifyPath(`/s/${file}`).kind, 'media', file);
    t.equal(mediaKindOf(file), 'segment', file);
  }
});

t.test('refused paths', async (t) => {
  const refused = {
    'golive/index.m3u8': 'must start with "/"',
    'http://evil/golive/index.m3u8': 'must start with "/"',
    '/golive/..%2Findex.m3u8': 'percent-encoding',
    '/golive%2Findex.m3u8': 'percent-encoding',
    '/%2e%2e/index.m3u8': 'percent-encoding',
    '/golive/%41.ts': 'percent-encoding',
    '/golive\\index.m3u8': 'backslashes',
    '//golive/index.m3u8': 'empty path segments',
    '/golive//index.m3u8': 'empty path segments',
    '/golive/../index.m3u8': '".."',
    '/../index.m3u8': '".."',
    '/golive/a..ts': '".."',
    '/./index.m3u8': '"." segments',
    '/golive/./x': '"." segments',
    '/golive/index.m3u8;jsessionid=1': 'only letters',
    '/golive/in dex.ts': 'only letters',
    '/golive/:x.ts': 'only letters',
    [`/${'a'.repeat(129)}/index.m3u8`]: 'stream name',
    '/go.live/index.m3u8': 'stream name',
    '/golive/.hidden.ts': 'may not start with "."',
    [`/golive/${'a'.repeat(253)}.ts`]: 'longer than 255',
  };
  for (const [path, reason] of Object.entries(refused)) {
    const verdict = classifyPath(path);
    t.equal(verdict.kind, 'refused', path);
    if (verdict.kind === 'refused') t.match(verdict.reason, reason, path);
  }
  t.equal(classifyPath('/golive/..%2Fx.ts?q=1').kind, 'refused', 'the query does not hide the path');
});

t.test('paths that are not media', async (t) => {
  for (const path of ['/', '/health2', '/favicon.ico', '/golive', '/golive/', '/golive/index.html', '/golive/index.m3u8.bak', '/a/b/c.ts', '/golive/ts']) {
    t.same(classifyPath(path), { kind: 'not-media' }, path);
  }
});

t.test('pathOf drops the query string only', async (t) => {
  t.equal(pathOf('/a/b.ts?x=1?y'), '/a/b.ts');
  t.equal(pathOf('/a/b.ts'), '/a/b.ts');
});

t.test('recorded videos: /videos/<uid>/<media file>, the uid checked against the contract', async (t) => {
  const uid = '0123456789abcdef0123456789abcdef';
  t.same(classifyPath(`/videos/${uid}/index.m3u8?token=x`), { kind: 'video', uid, file: 'index.m3u8' });
  t.same(classifyPath(`/videos/${uid}/12.ts`), { kind: 'video', uid, file: '12.ts' });
  t.same(classifyPath('/videos/index.m3u8'), { kind: 'media', stream: 'videos', file: 'index.m3u8' }, 'a stream named videos is still a stream');
  t.match(classifyPath(`/videos/${uid.toUpperCase()}/index.m3u8`), { kind: 'refused', reason: /32 lowercase hex/ });
  t.match(classifyPath('/videos/abc/index.m3u8'), { kind: 'refused' });
  t.match(classifyPath(`/videos/${uid}/.hidden.ts`), { kind: 'refused' });
  t.match(classifyPath(`/videos/${uid}/../x.ts`), { kind: 'refused' });
  t.same(classifyPath(`/videos/${uid}/recording.json`), { kind: 'not-media' });
});

t.test('thumbnails: a video\'s and a live stream\'s, the query left to the handler', async (t) => {
  const uid = 'f'.repeat(32);
  t.same(classifyPath(`/videos/${uid}/thumbnails/thumbnail.jpg?time=5s&height=270`), { kind: 'video-thumbnail', uid });
  t.same(classifyPath('/golive/thumbnails/thumbnail.jpg'), { kind: 'live-thumbnail', stream: 'golive' });
  t.same(classifyPath('/videos/thumbnails/thumbnail.jpg'), { kind: 'live-thumbnail', stream: 'videos' }, 'a stream named videos');
  t.match(classifyPath('/videos/abc/thumbnails/thumbnail.jpg'), { kind: 'refused', reason: /32 lowercase hex/ });
  t.match(classifyPath(`/${'x'.repeat(129)}/thumbnails/thumbnail.jpg`), { kind: 'refused' });
  t.same(classifyPath('/golive/thumbnails/other.jpg'), { kind: 'not-media' });
  t.same(classifyPath(`/videos/${uid}/thumbnails/thumbnail.png`), { kind: 'not-media' });
  t.same(classifyPath('/a/b/thumbnails/thumbnail.jpg'), { kind: 'not-media' });
  t.same(classifyPath(`/other/${uid}/index.m3u8`), { kind: 'not-media' });
});
