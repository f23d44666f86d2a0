import { createHmac } from 'node:crypto';
import t from 'tap';
import { signHs256, verifyHs256 } from '../../playback-token/src/compact-jws.js';
import { signPlaybackToken, streamSigningSecret, verifyPlaybackToken } from '../../playback-token/src/playback-token.js';

// Unit tests of playback-token/src (shared by the API and the edges); they live here so that
// they run with the API's tests.

const KEY = 'test-playback-signing-key-0123456789abcdef';
const STREAM = 'a1b2c3d4';
const ISSUED_MS = 1_700_000_000_000;
const EXPIRES_MS = 1_700_003_600_000;

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const hmac = (secret: string | Buffer, input: string) => createHmac('sha256', secret).update(input).digest('base64url');

/** A JWT built by hand, step by step as RFC 7519 §7.1 describes, with the stream's secret. */
function handMadeToken(header: string, payload: string, secret = streamSigningSecret(STREAM, KEY)): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${hmac(secret, signingInput)}`;
}

t.test('RFC 7515 appendix A.1: the HS256 example verifies, and a changed byte does not', async (t) => {
  // The RFC's JWK "k" and its token, header and payload written with CRLF and spaces.
  const key = Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url');
  const token =
    'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9' +
    '.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ' +
    '.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  t.same(verifyHs256(token, key), { ok: true, payload: { iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true } });
  t.same(verifyHs256(`${token.slice(0, -1)}j`, key), { ok: false, failure: 'bad-signature' });
  // 'l' differs from the last 'k' only in bits base64url leaves unused (same bytes): one spelling only.
  t.same(verifyHs256(`${token.slice(0, -1)}l`, key), { ok: false, failure: 'bad-signature' });
});

t.test('signHs256 writes what verifyHs256 reads', async (t) => {
  const token = signHs256({ a: 1 }, 'secret');
  t.same(token.split('.').slice(0, 1).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString())), [{ alg: 'HS256', typ: 'JWT' }]);
  t.same(verifyHs256(token, 'secret'), { ok: true, payload: { a: 1 } });
});

t.test('a fixed token: the exact text for fixed inputs (checked against an independent HMAC)', async (t) => {
  t.equal(streamSigningSecret(STREAM, KEY), 'LHiaC0cB1xmGvbKkytRWmflbnOovjGpMp0MomVpVwT8');
  const token = signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, KEY);
  t.equal(
    token,
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9' +
      '.eyJzdWIiOiJhMWIyYzNkNCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ' +
      '.j1-6Uf_lW9Lq_sc1Y_kbbMWgXGnK1T0LmaZpCk4jo_Q',
  );
  const [, payload] = token.split('.') as [string, string, string];
  t.same(JSON.parse(Buffer.from(payload, 'base64url').toString()), { sub: STREAM, iat: 1_700_000_000, exp: 1_700_003_600 });
  t.same(verifyPlaybackToken(token, STREAM, KEY, ISSUED_MS), { result: 'ok', expiresAtMs: EXPIRES_MS });
});

t.test('a token made by hand with any JWT library\'s choices verifies', async (t) => {
  // Another header order, whitespace, no typ, extra claims: all a library may produce.
  const token = handMadeToken('{"typ":"JWT", "alg":"HS256"}', `{"exp": 1700003600, "sub": "${STREAM}", "viewer": "v-42"}`);
  t.same(verifyPlaybackToken(token, STREAM, KEY, ISSUED_MS), { result: 'ok', expiresAtMs: EXPIRES_MS });
  const minimal = handMadeToken('{"alg":"HS256"}', `{"sub":"${STREAM}","exp":1700003600}`);
  t.same(verifyPlaybackToken(minimal, STREAM, KEY, ISSUED_MS), { result: 'ok', expiresAtMs: EXPIRES_MS });
});

t.test('expiry: valid until the second of exp, expired from it on', async (t) => {
  const token = signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, KEY);
  t.same(verifyPlaybackToken(token, STREAM, KEY, EXPIRES_MS - 1), { result: 'ok', expiresAtMs: EXPIRES_MS });
  t.same(verifyPlaybackToken(token, STREAM, KEY, EXPIRES_MS), { result: 'expired', expiredAtMs: EXPIRES_MS });
  t.same(verifyPlaybackToken(token, STREAM, KEY, EXPIRES_MS + 86_400_000), { result: 'expired', expiredAtMs: EXPIRES_MS });
});

t.test("another stream's token is wrong-stream, on either stream's URL only its own plays", async (t) => {
  const other = 'zz99yy88';
  const token = signPlaybackToken({ streamId: other, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, KEY);
  t.same(verifyPlaybackToken(token, STREAM, KEY, ISSUED_MS), { result: 'wrong-stream' });
  t.same(verifyPlaybackToken(token, other, KEY, ISSUED_MS), { result: 'ok', expiresAtMs: EXPIRES_MS });
  // Signed with this stream's secret but naming another stream: still not this stream's token.
  const misnamed = handMadeToken('{"alg":"HS256"}', `{"sub":"${other}","exp":1700003600}`);
  t.same(verifyPlaybackToken(misnamed, STREAM, KEY, ISSUED_MS), { result: 'wrong-stream' });
});

t.test('tampering is refused', async (t) => {
  const token = signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, KEY);
  const [header, , signature] = token.split('.') as [string, string, string];

  t.test('a payload with a later exp, signature kept', async (t) => {
    const longer = b64url(`{"sub":"${STREAM}","iat":1700000000,"exp":1900000000}`);
    t.same(verifyPlaybackToken(`${header}.${longer}.${signature}`, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'bad-signature' });
  });

  t.test('a changed signature character', async (t) => {
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const [h, p] = token.split('.') as [string, string];
    t.same(verifyPlaybackToken(`${h}.${p}.${flipped}`, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'bad-signature' });
  });

  t.test('another signing key', async (t) => {
    const forged = signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, `${KEY}-other`);
    t.same(verifyPlaybackToken(forged, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'bad-signature' });
  });

  t.test('the operator key itself used as the stream secret', async (t) => {
    const forged = handMadeToken('{"alg":"HS256"}', `{"sub":"${STREAM}","exp":1700003600}`, KEY);
    t.same(verifyPlaybackToken(forged, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'bad-signature' });
  });
});

t.test('other algorithms are refused, whatever the signature', async (t) => {
  const payload = b64url(`{"sub":"${STREAM}","exp":1700003600}`);
  t.same(verifyPlaybackToken(`${b64url('{"alg":"none"}')}.${payload}.`, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'malformed' });
  const secret = streamSigningSecret(STREAM, KEY);
  for (const alg of ['none', 'HS384', 'HS512', 'RS256', 'hs256']) {
    const input = `${b64url(JSON.stringify({ alg }))}.${payload}`;
    const token = `${input}.${hmac(secret, input)}`;
    t.same(verifyPlaybackToken(token, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'unsupported-algorithm' }, alg);
  }
  const critical = handMadeToken('{"alg":"HS256","crit":["exp"]}', `{"sub":"${STREAM}","exp":1700003600}`);
  t.same(verifyPlaybackToken(critical, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'unsupported-algorithm' }, 'crit');
});

t.test('claims: exp and sub are required, nbf is honoured', async (t) => {
  const header = '{"alg":"HS256","typ":"JWT"}';
  const check = (payload: string, nowMs = ISSUED_MS) => verifyPlaybackToken(handMadeToken(header, payload), STREAM, KEY, nowMs);
  t.same(check(`{"sub":"${STREAM}"}`), { result: 'invalid', reason: 'missing-expiry' });
  t.same(check(`{"sub":"${STREAM}","exp":"1700003600"}`), { result: 'invalid', reason: 'missing-expiry' }, 'exp as a string');
  t.same(check(`{"sub":"${STREAM}","exp":null}`), { result: 'invalid', reason: 'missing-expiry' });
  t.same(check('{"exp":1700003600}'), { result: 'invalid', reason: 'missing-subject' });
  t.same(check(`{"sub":"${STREAM}","exp":1700003600,"nbf":1700000060}`), { result: 'invalid', reason: 'not-yet-valid' });
  t.same(check(`{"sub":"${STREAM}","exp":1700003600,"nbf":1700000060}`, 1_700_000_060_000), { result: 'ok', expiresAtMs: EXPIRES_MS });
  t.same(check(`{"sub":"${STREAM}","exp":1700003600,"nbf":"soon"}`), { result: 'invalid', reason: 'malformed' });
});

t.test('malformed input is refused before any signature work', async (t) => {
  const token = signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, KEY);
  const malformed = [
    '',
    'abc',
    token.split('.').slice(0, 2).join('.'),
    `${token}.extra`,
    `${token}=`,
    token.replace('.', '.+'),
    `${b64url('[1]')}.${b64url('{}')}.${token.split('.')[2]}`,
    `${token.split('.')[0]}.${'A'.repeat(5000)}.${token.split('.')[2]}`,
  ];
  for (const value of malformed) {
    t.same(verifyPlaybackToken(value, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'malformed' }, value.slice(0, 40));
  }
  const notJsonPayload = handMadeToken('{"alg":"HS256"}', 'not json');
  t.same(verifyPlaybackToken(notJsonPayload, STREAM, KEY, ISSUED_MS), { result: 'invalid', reason: 'malformed' }, 'payload not JSON');
});

t.test('a signing key shorter than 32 characters is a configuration error', async (t) => {
  t.throws(() => signPlaybackToken({ streamId: STREAM, issuedAtMs: ISSUED_MS, expiresAtMs: EXPIRES_MS }, 'short'), RangeError);
  t.throws(() => verifyPlaybackToken('a.b.c', STREAM, 'short', ISSUED_MS), RangeError);
});
