/**
 * Secrets never reach the API's output at any log level: the API runs as its own process at
 * LOG_LEVEL=trace with DEBUG=* (ioredis's debug output included) through a flow that handles
 * every kind of secret, on the happy path and on the failing ones (wrong and mistyped keys, bad
 * input echoing values, a malformed HTTP request, Redis refusing writes while secrets are
 * stored), and not one of those secrets appears in what it wrote.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { startApiProcess } from './fixtures/api-process.js';

const ADMIN_TOKEN = 'adm_secret_admin_token_0123456789';
const PLAYBACK_SIGNING_KEY = 'playback-signing-key-never-logged-0123456789';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Sends raw bytes that are not valid HTTP and resolves when the server has closed the connection. */
function sendMalformedRequest(port: number, bytes: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', () => undefined);
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
}

t.test('no secret in the output of an API logging everything', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.remove());
  const api = await startApiProcess(t, {
    REDIS_URL: redis.url,
    ADMIN_TOKEN,
    PLAYBACK_SIGNING_KEY,
    ALLOW_PRIVATE_TARGETS: '1',
    LOG_LEVEL: 'trace',
    DEBUG: '*',
  });
  const secrets = new Map<string, string>([
    ['the admin token', ADMIN_TOKEN],
    ['the playback signing key', PLAYBACK_SIGNING_KEY],
    ['the internal token', TEST_INTERNAL_TOKEN],
  ]);
  const internalHeaders = { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` };
  const internal = (path: string, init: RequestInit = {}) =>
    fetch(`${api.internalUrl}${path}`, { ...init, headers: { ...internalHeaders, ...init.headers } });
  const send = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${api.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  };

  // Users and API tokens.
  const user = (await send('POST', '/v1/users', ADMIN_TOKEN, { name: 'alice' })).json;
  const token = (await send('POST', `/v1/users/${user.id}/tokens`, ADMIN_TOKEN, { name: 'laptop' })).json.token as string;
  const tokenSecret = token.split('_').at(-1)!;
  secrets.set('an API token', token).set("an API token's secret", tokenSecret).set("an API token's stored hash", sha256(tokenSecret));
  const second = (await send('POST', '/v1/tokens', token, { name: 'phone' })).json.token as string;
  secrets.set('a token made by its user', second);
  t.equal((await send('GET', '/v1/streams', 'lst_abcdefgh_0123456789ABCDEFGHIJ0123456789ab')).status, 401, 'a forged token');

  // Streams, their keys and a key reset.
  const stream = (await send('POST', '/v1/streams', token, { name: 'Show' })).json;
  const keys = (await send('GET', `/v1/streams/${stream.id}/stream-keys`, token)).json.data as { protocol: string; stream_key: string }[];
  for (const key of keys) secrets.set(`the ${key.protocol} stream key`, key.stream_key);
  const reset = (await send('POST', `/v1/streams/${stream.id}/stream-keys/reset`, token, { protocol: 'rtmp' })).json.data as { protocol: string; stream_key: string }[];
  const rtmpKey = reset.find((key) => key.protocol === 'rtmp')!.stream_key;
  secrets.set('a reset stream key', rtmpKey);

  // Publishing: the origin's GET and nginx-rtmp's form POST, with the key, a wrong key and a mistyped one.
  t.equal((await internal(`/authorize?name=${rtmpKey}&app=stream&addr=192.0.2.1`)).status, 200);
  const wrongKey = `${rtmpKey.slice(0, -4)}zzzz`;
  secrets.set('a wrong stream key', wrongKey);
  // As nginx-rtmp sends it: the internal token in the URL.
  const form = await fetch(`${api.internalUrl}/authorize?internal_token=${TEST_INTERNAL_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `call=publish&app=stream&name=${wrongKey}&addr=192.0.2.2`,
  });
  t.equal(form.status, 403);
  const mistyped = `${rtmpKey} ${rtmpKey}`;
  t.equal((await internal(`/authorize?name=${encodeURIComponent(mistyped)}`)).status, 400, 'a key with a space fails validation');
  t.equal((await fetch(`${api.internalUrl}/authorize?name=${rtmpKey}&internal_token=${TEST_INTERNAL_TOKEN.slice(0, -1)}x`)).status, 401, 'a wrong internal token');
  // A key pasted where a stream name or id goes.
  t.equal((await internal(`/streams/${rtmpKey}`)).status, 404);
  t.equal((await send('GET', `/v1/streams/${rtmpKey}`, token)).status, 400);

  // Restream targets: keys are write-only; the internal configuration carries them to origins.
  const targetKey = 'live_991122_targetkeyneverlogged';
  secrets.set('a restream target key', targetKey);
  const targets = `/v1/streams/${stream.id}/restream-targets`;
  const target = (await send('POST', targets, token, { platform: 'custom', stream_url: 'rtmp://127.0.0.1:1935/app', stream_key: targetKey })).json;
  const changedKey = 'live_991122_changedkeyneverlogged';
  secrets.set('a changed restream target key', changedKey);
  t.equal((await send('PATCH', `${targets}/${target.id}`, token, { stream_key: changedKey })).status, 200);
  const urlPassword = 'urlpasswordneverlogged';
  secrets.set('a password pasted into a target URL', urlPassword);
  t.equal((await send('POST', targets, token, { platform: 'custom', stream_url: `rtmp://bob:${urlPassword}@127.0.0.1/app`, stream_key: 'k' })).status, 400);
  t.equal((await send('POST', targets, token, { platform: 'custom', stream_url: 'rtmp://127.0.0.1/app', stream_key: `bad key ${changedKey}` })).status, 400);
  t.equal((await internal(`/internal/streams/${stream.id}/restream`)).status, 200);

  // Signed playback.
  const signingKey = (await send('GET', `/v1/streams/${stream.id}/playback-signing-key`, token)).json.signing_key as string;
  secrets.set("a stream's playback signing key", signingKey);
  const playbackToken = (await send('POST', `/v1/streams/${stream.id}/playback-token`, token, { expires_in_s: 600 })).json.token as string;
  secrets.set("a playback token's signature", playbackToken.split('.')[2]!);

  // A malformed request carrying a token and a key: node's parser keeps its raw bytes on the error.
  await sendMalformedRequest(
    Number(new URL(api.url).port),
    `GET /authorize?name=${rtmpKey} HTTP/1.1\r\nAuthorization: Bearer ${token}\r\nBroken header line\r\n\r\n`,
  );

  // Redis refuses writes while secrets are being stored: ioredis puts the command's arguments on its errors.
  const admin = new Redis(redis.url);
  t.teardown(() => admin.disconnect());
  await admin.config('SET', 'maxmemory', '1');
  const refusedKey = 'live_991122_refusedkeyneverlogged';
  secrets.set('a target key Redis refused to store', refusedKey);
  t.equal((await send('POST', targets, token, { platform: 'custom', stream_url: 'rtmp://127.0.0.1/app', stream_key: refusedKey })).status, 503);
  t.equal((await send('POST', `/v1/streams/${stream.id}/stream-keys/reset`, token, { protocol: 'srt' })).status, 503);
  await admin.config('SET', 'maxmemory', '0');

  await api.stop('SIGTERM');
  const output = api.output();
  t.match(output, /"level":10,/, 'trace lines were written');
  t.match(output, /"msg":"store \(Redis\) is unavailable: OOM command not allowed/, 'the refused writes were logged, at debug');
  t.match(output, /"msg":"client error"/, 'the malformed request was logged, at trace');
  t.match(output, /"url":"\/streams\/\[redacted\]"/, 'requests are logged, a key in the path redacted');
  t.match(output, /DEBUG names ioredis:\*, whose output holds secrets \(command arguments\): it stays off/);
  t.notMatch(output, /ioredis:redis/, 'no ioredis debug output');
  t.notMatch(output, /rawPacket|"command"/, 'no request bytes or Redis command arguments on logged errors');
  for (const [what, secret] of secrets) t.notOk(output.includes(secret), `${what} is not in the output`);
});
