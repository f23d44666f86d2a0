import t from 'tap';
import { AllowedOrigins, isAllowedOriginPattern, normalizeAllowedOrigin } from '../../playback-token/src/allowed-origins.js';

// Unit tests of playback-token/src/allowed-origins.ts (the API validates, the edges match).

t.test('valid and invalid patterns', async (t) => {
  for (const valid of ['example.com', 'app.example.com:8443', '*.example.com', '*.example.com:8080', 'localhost:3000', '127.0.0.1', '[::1]:8080', 'Example.COM']) {
    t.ok(isAllowedOriginPattern(valid), valid);
  }
  for (const invalid of [
    '',
    'https://example.com',
    'example.com/path',
    'example.com:0',
    'example.com:65536',
    '*',
    '*.',
    '*example.com',
    'a.*.example.com',
    '**.example.com',
    'exa mple.com',
    '-example.com',
    'example.com.',
    'user@example.com',
    '[1::2::3]',
    `${'a'.repeat(64)}.com`,
  ]) {
    t.notOk(isAllowedOriginPattern(invalid), JSON.stringify(invalid));
  }
  t.equal(normalizeAllowedOrigin('App.Example.COM:8443'), 'app.example.com:8443');
});

t.test('matching Origin and Referer values', async (t) => {
  const allowed = new AllowedOrigins(['example.com', 'app.example.com:8443', '*.cdn.test', 'LOCALHOST:3000', '[::1]:8080']);
  t.ok(allowed.restricted);
  const cases: [string | undefined, boolean][] = [
    ['https://example.com', true],
    ['http://example.com', true],
    ['https://EXAMPLE.com', true],
    ['https://example.com:443', true],
    ['https://example.com:8443', false],
    ['https://www.example.com', false],
    ['https://app.example.com:8443', true],
    ['https://app.example.com', false],
    ['https://a.cdn.test', true],
    ['https://a.b.cdn.test', true],
    ['https://cdn.test', false],
    ['https://evilcdn.test', false],
    ['https://a.cdn.test.evil.com', false],
    ['https://a.cdn.test:8080', false],
    ['http://localhost:3000', true],
    ['http://[::1]:8080', true],
    ['http://[0:0::1]:8080', true],
    ['https://example.com/watch?v=1', true],
    ['https://example.com.evil.com', false],
    ['ftp://example.com', false],
    ['null', false],
    ['not a url', false],
    [undefined, false],
  ];
  for (const [origin, expected] of cases) t.equal(allowed.allows(origin), expected, String(origin));
});

t.test('an empty list allows everything, even no Origin at all', async (t) => {
  const open = new AllowedOrigins([]);
  t.notOk(open.restricted);
  t.ok(open.allows(undefined));
  t.ok(open.allows('https://anything.test'));
});
