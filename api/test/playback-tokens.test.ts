import { createHmac } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { verifyPlaybackToken } from '../../playback-token/src/playback-token.js';
import { loggerOptions } from '../../service-kit/src/logger.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

const SIGNING_KEY = 'test-playback-signing-key-0123456789abcdef';
/** A frozen clock, 0.5 s into a second: `iat` and `exp` keep whole seconds. */
const NOW = 1_750_000_000_500;
const NOW_S = 1_750_000_000;

t.test('POST /v1/streams/{id}/playback-token on a real redis-server', async (t) => {
  const lines: string[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const { app } = await startTestApi(t, {
    playbackSigningKey: SIGNING_KEY,
    now: () => NOW,
    logger: pino(loggerOptions('api', 'debug'), destination),
  });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const stream = await createStream(app, alice.token);
  const other = await createStream(app, alice.token, 'Other');
  const issued: string[] = [];
  const mint = async (id: string, body?: object) => {
    const answer = await call(app, alice.token, 'POST', `/v1/streams/${id}/playback-token`, body);
    if (answer.statusCode === 201) issued.push(answer.json().token);
    return answer;
  };

  t.test('201 {token, expires_at, playback_url}; the edges\' verifier accepts it until expires_at', async (t) => {
    const answer = await mint(stream.id, { expires_in_s: 600 });
    t.equal(answer.statusCode, 201);
    const body = answer.json();
    t.same(Object.keys(body).sort(), ['expires_at', 'playback_url', 'token']);
    const expiresAtMs = (NOW_S + 600) * 1000;
    t.equal(body.expires_at, new Date(expiresAtMs).toISOString());
    t.equal(body.playback_url, `http://edge.test:8081/${stream.id}/index.m3u8?token=${body.token}`);
    const [, payload] = body.token.split('.');
    t.same(JSON.parse(Buffer.from(payload, 'base64url').toString()), { sub: stream.id, iat: NOW_S, exp: NOW_S + 600 });

    t.same(verifyPlaybackToken(body.token, stream.id, SIGNING_KEY, NOW), { result: 'ok', expiresAtMs });
    t.same(verifyPlaybackToken(body.token, stream.id, SIGNING_KEY, expiresAtMs - 1), { result: 'ok', expiresAtMs });
    t.same(verifyPlaybackToken(body.token, stream.id, SIGNING_KEY, expiresAtMs), { result: 'expired', expiredAtMs: expiresAtMs });
    t.same(verifyPlaybackToken(body.token, other.id, SIGNING_KEY, NOW), { result: 'wrong-stream' }, "not another stream's");
  });

  t.test('expires_in_s defaults to an hour, with an empty body or none', async (t) => {
    for (const body of [{}, undefined]) {
      const answer = await mint(stream.id, body);
      t.equal(answer.statusCode, 201, JSON.stringify(body));
      t.equal(answer.json().expires_at, new Date((NOW_S + 3600) * 1000).toISOString());
    }
  });

  t.test('expires_in_s is 60 s to 30 days: 400 naming the value otherwise', async (t) => {
    t.equal((await mint(stream.id, { expires_in_s: 60 })).statusCode, 201);
    t.equal((await mint(stream.id, { expires_in_s: 2_592_000 })).statusCode, 201);
    const cases: [unknown, string][] = [
      [59, 'body.expires_in_s must be >= 60; got 59'],
      [2_592_001, 'body.expires_in_s must be <= 2592000; got 2592001'],
      [90.5, 'body.expires_in_s must be integer; got 90.5'],
      ['3600', 'body.expires_in_s must be integer; got "3600"'],
    ];
    for (const [value, message] of cases) {
      const answer = await mint(stream.id, { expires_in_s: value });
      t.equal(answer.statusCode, 400, String(value));
      t.same(answer.json().error, { code: 'LIVE_ERR_VALIDATION', message });
    }
  });

  t.test('owner only: another user gets 404, no API token 401', async (t) => {
    const foreign = await call(app, bob.token, 'POST', `/v1/streams/${stream.id}/playback-token`, {});
    t.equal(foreign.statusCode, 404);
    t.equal(foreign.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
    t.equal((await call(app, undefined, 'POST', `/v1/streams/${stream.id}/playback-token`, {})).statusCode, 401);
    t.equal((await call(app, alice.token, 'POST', '/v1/streams/zzzzzzzz/playback-token', {})).statusCode, 404);
  });

  t.test("the stream's signing key mints tokens by hand that the edges accept, for that stream only", async (t) => {
    const answer = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/playback-signing-key`);
    t.equal(answer.statusCode, 200);
    const { algorithm, signing_key: key, subject } = answer.json();
    t.equal(algorithm, 'HS256');
    t.equal(subject, stream.id);
    t.not(key, SIGNING_KEY, 'never the operator key');
    issued.push(key);

    // What any JWT library does with {alg: HS256} and a string secret.
    const input = [{ alg: 'HS256', typ: 'JWT' }, { sub: stream.id, exp: NOW_S + 60 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    const token = `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    t.same(verifyPlaybackToken(token, stream.id, SIGNING_KEY, NOW), { result: 'ok', expiresAtMs: (NOW_S + 60) * 1000 });

    // With alice's key, a token naming bob's (or any other) stream plays nothing.
    const bobs = await createStream(app, bob.token);
    const forgedInput = [{ alg: 'HS256' }, { sub: bobs.id, exp: NOW_S + 60 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    const forged = `${forgedInput}.${createHmac('sha256', key).update(forgedInput).digest('base64url')}`;
    t.not(verifyPlaybackToken(forged, bobs.id, SIGNING_KEY, NOW).result, 'ok');

    t.equal((await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/playback-signing-key`)).statusCode, 404, 'owner only');
  });

  t.test('tokens and signing keys never reach the logs', async (t) => {
    t.ok(issued.length > 0);
    const log = lines.join('');
    t.match(log, /playback token issued/, 'the issue itself is logged');
    for (const secret of [SIGNING_KEY, ...issued]) t.notOk(log.includes(secret), `${secret.slice(0, 12)}… is not logged`);
    for (const token of issued) t.notOk(log.includes(token.split('.')[2] ?? token), 'not even a signature');
  });
});

t.test('without PLAYBACK_SIGNING_KEY: 503 naming the setting; require_signed_urls can still be set', async (t) => {
  const { app } = await startTestApi(t);
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  for (const [method, path] of [['POST', 'playback-token'], ['GET', 'playback-signing-key']] as const) {
    const answer = await call(app, alice.token, method, `/v1/streams/${stream.id}/${path}`, method === 'POST' ? {} : undefined);
    t.equal(answer.statusCode, 503, path);
    t.same(answer.json().error, {
      code: 'LIVE_ERR_PLAYBACK_SIGNING_DISABLED',
      message: 'signed playback is not configured: the operator must set PLAYBACK_SIGNING_KEY on the API and every edge',
    });
    t.equal(answer.headers['retry-after'], undefined, 'not a retry');
  }
  const update = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Signed', require_signed_urls: true });
  t.equal(update.statusCode, 200);
  t.equal(update.json().require_signed_urls, true);
});
