import t from 'tap';
import { signPlaybackToken } from '../../playback-token/src/playback-token.js';
import { PlaybackGuard } from '../src/playback-guard.js';
import { OPEN_PLAYBACK, type PlaybackPolicy } from '../src/route-resolver.js';

const KEY = 'edge-test-signing-key-0123456789abcdef';
const NOW = Date.parse('2026-11-30T12:00:00Z');
const SIGNED: PlaybackPolicy = { requireSignedUrls: true, allowedOrigins: [] };
const guard = new PlaybackGuard({ signingKey: KEY, now: () => NOW });
const token = (streamId: string, expiresInMs: number, key = KEY) =>
  signPlaybackToken({ streamId, issuedAtMs: NOW - 1_000, expiresAtMs: NOW + expiresInMs }, key);

t.test('an open stream plays without a token, from anywhere', async (t) => {
  t.same(guard.admit('s', OPEN_PLAYBACK, { token: undefined, page: undefined }), { token: undefined });
  t.same(guard.admit('s', OPEN_PLAYBACK, { token: 'junk', page: 'https://any.example' }), { token: undefined }, 'a token is ignored');
  t.equal(guard.corsOrigin(OPEN_PLAYBACK, 'https://any.example'), '*');
});

t.test('signed URLs: a valid token for the stream is admitted and carried on', async (t) => {
  const valid = token('abcd1234', 60_000);
  t.same(guard.admit('abcd1234', SIGNED, { token: valid, page: undefined }), { token: valid });
});

t.test('signed URLs: missing, expired, tampered, foreign and unsigned tokens are refused', async (t) => {
  const refusals: [string, string | undefined, string, number][] = [
    ['no token', undefined, 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED', 401],
    ['empty token', '', 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED', 401],
    ['expired', token('abcd1234', -1_000), 'LIVE_ERR_PLAYBACK_TOKEN_EXPIRED', 401],
    ['another stream', token('zzzz9999', 60_000), 'LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM', 403],
    ['another key', token('abcd1234', 60_000, 'another-signing-key-0123456789abcdef'), 'LIVE_ERR_PLAYBACK_TOKEN_INVALID', 401],
    ['garbage', 'not.a.token', 'LIVE_ERR_PLAYBACK_TOKEN_INVALID', 401],
  ];
  const valid = token('abcd1234', 60_000);
  const [header, payload, signature] = valid.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
  refusals.push(['tampered payload', `${header}.${longer}.${signature}`, 'LIVE_ERR_PLAYBACK_TOKEN_INVALID', 401]);
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  refusals.push(['alg none', `${none}.${payload}.`, 'LIVE_ERR_PLAYBACK_TOKEN_INVALID', 401]);
  for (const [label, value, code, status] of refusals) {
    t.throws(() => guard.admit('abcd1234', SIGNED, { token: value, page: undefined }), { code, statusCode: status }, label);
  }
});

t.test('an edge without the signing key refuses signed streams, never lets them through', async (t) => {
  const keyless = new PlaybackGuard({ signingKey: undefined, now: () => NOW });
  t.throws(() => keyless.admit('abcd1234', SIGNED, { token: token('abcd1234', 60_000), page: undefined }), {
    code: 'LIVE_ERR_PLAYBACK_TOKEN_INVALID',
    message: /PLAYBACK_SIGNING_KEY/,
  });
});

t.test('allowed origins: exact and wildcard pages play, others and pageless requests are refused', async (t) => {
  const policy: PlaybackPolicy = { requireSignedUrls: false, allowedOrigins: ['player.example.com', '*.example.org'] };
  t.same(guard.admit('s', policy, { token: undefined, page: 'https://player.example.com' }), { token: undefined });
  t.same(guard.admit('s', policy, { token: undefined, page: 'https://a.b.example.org/watch?v=1' }), { token: undefined });
  for (const page of ['https://evil.example', 'https://example.org', 'null', undefined]) {
    t.throws(() => guard.admit('s', policy, { token: undefined, page }), { code: 'LIVE_ERR_ORIGIN_NOT_ALLOWED', statusCode: 403 }, String(page));
  }
  t.equal(guard.corsOrigin(policy, 'https://a.example.org'), 'https://a.example.org', 'CORS names the allowed page origin');
  t.equal(guard.corsOrigin(policy, 'https://evil.example'), undefined, 'no CORS header for another origin');
});

t.test('both at once: the page is checked first, then the token', async (t) => {
  const policy: PlaybackPolicy = { requireSignedUrls: true, allowedOrigins: ['player.example.com'] };
  t.throws(() => guard.admit('abcd1234', policy, { token: token('abcd1234', 60_000), page: 'https://evil.example' }), {
    code: 'LIVE_ERR_ORIGIN_NOT_ALLOWED',
  });
  t.throws(() => guard.admit('abcd1234', policy, { token: undefined, page: 'https://player.example.com' }), {
    code: 'LIVE_ERR_PLAYBACK_TOKEN_REQUIRED',
  });
});

t.test('key rotation: tokens signed with the previous key play until they expire; new ones use the new key', async (t) => {
  const NEW_KEY = 'edge-test-rotated-signing-key-0123456789';
  const OTHER_KEY = 'edge-test-unrelated-signing-key-01234567';
  let now = NOW;
  const rotating = new PlaybackGuard({ signingKey: NEW_KEY, previousSigningKey: KEY, now: () => now });
  const signed = (key: string, expiresInMs: number, streamId = 'abcd1234') =>
    signPlaybackToken({ streamId, issuedAtMs: NOW - 1_000, expiresAtMs: NOW + expiresInMs }, key);
  const code = (value: string, stream = 'abcd1234') => {
    try {
      rotating.admit(stream, SIGNED, { token: value, page: undefined });
      return 'admitted';
    } catch (error) {
      return (error as { code: string }).code;
    }
  };
  const old = signed(KEY, 60_000);
  const fresh = signed(NEW_KEY, 120_000);
  t.equal(code(old), 'admitted', 'a token signed with the previous key plays');
  t.equal(code(fresh), 'admitted', 'a token signed with the new key plays');
  t.equal(code(signed(OTHER_KEY, 60_000)), 'LIVE_ERR_PLAYBACK_TOKEN_INVALID', 'a token signed with neither is refused');
  t.equal(code(signed(KEY, 60_000, 'zzzz9999')), 'LIVE_ERR_PLAYBACK_TOKEN_WRONG_STREAM', 'an old-key token for another stream is still told apart');
  now = NOW + 60_000;
  t.equal(code(old), 'LIVE_ERR_PLAYBACK_TOKEN_EXPIRED', 'the old token expires at its own exp');
  t.equal(code(fresh), 'admitted', 'the new one plays on');
  const withoutPrevious = new PlaybackGuard({ signingKey: NEW_KEY, now: () => NOW });
  t.throws(() => withoutPrevious.admit('abcd1234', SIGNED, { token: old, page: undefined }), { code: 'LIVE_ERR_PLAYBACK_TOKEN_INVALID' }, 'once the previous key is dropped, its tokens no longer play');
});
