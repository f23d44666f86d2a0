import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { TYPESCRIPT_LOADER_ARG } from '../../test-support/typescript-loader.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/wait-for.js';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));
// The TypeScript loader tap runs this test with.

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, [TYPESCRIPT_LOADER_ARG, serverPath], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

t.test('server.ts listens with its settings and shuts down cleanly on SIGTERM', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.remove());
  const [port, internalPort] = await Promise.all([freePort(), freePort()]);
  const adminToken = 'server-test-admin-token';
  const playbackSigningKey = 'server-test-playback-signing-key-0123456789';
  // The admin token as docker-compose gives it: a file in the secrets volume.
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'api-secrets-'));
  t.teardown(() => rm(secrets, { recursive: true, force: true }));
  await writeFile(path.join(secrets, 'admin-token'), `${adminToken}\n`, { mode: 0o600 });
  const { child, output } = startServer({
    PLAYBACK_SIGNING_KEY: playbackSigningKey,
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    API_INTERNAL_PORT: String(internalPort),
    API_INTERNAL_HOST: '127.0.0.1',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    REDIS_URL: redis.url,
    ALLOWED_STREAMS: 'golive',
    ADMIN_TOKEN_FILE: path.join(secrets, 'admin-token'),
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const answers = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;
  await waitFor(
    'the API to answer /health on both listeners',
    async () => (await answers(`http://127.0.0.1:${port}/health`)) && (await answers(`http://127.0.0.1:${internalPort}/health`)),
    { timeoutMs: 120_000 },
  );
  const internal = (path: string) => fetch(`http://127.0.0.1:${internalPort}${path}`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
  t.equal((await fetch(`http://127.0.0.1:${port}/authorize?name=golive`)).status, 404, 'the public port has no internal route');
  t.equal((await fetch(`http://127.0.0.1:${internalPort}/authorize?name=golive`)).status, 401, 'the internal port needs the token');
  const lookup = await internal(`/authorize?name=golive&token=s3cret`);
  t.equal(lookup.status, 200);
  const byQuery = await fetch(`http://127.0.0.1:${internalPort}/authorize?name=golive&session_id=nginx&internal_token=${TEST_INTERNAL_TOKEN}`);
  t.equal(byQuery.status, 409, "nginx-rtmp's way in: the token in the query (the lease is taken)");
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    });
  const stream = (await (await api('/v1/streams', { method: 'POST', body: '{"name":"Logged?"}' })).json()) as { id: string };
  const keys = (await (await api(`/v1/streams/${stream.id}/stream-keys`)).json()) as { data: { stream_key: string }[] };
  const streamKey = keys.data[0]!.stream_key;
  const published = await internal(`/authorize?name=${streamKey}`);
  t.equal(published.status, 200);
  const wrongKey = `${streamKey.slice(0, -3)}xyz`;
  t.equal((await internal(`/authorize?name=${wrongKey}`)).status, 403);
  t.equal((await fetch(`http://127.0.0.1:${port}/v1/streams`, { headers: { authorization: 'Bearer lst_s3cr3t-token' } })).status, 401);
  const minted = await api(`/v1/streams/${stream.id}/playback-token`, { method: 'POST', body: '{"expires_in_s":600}' });
  t.equal(minted.status, 201);
  const { token: playbackToken } = (await minted.json()) as { token: string };
  const signingKey = await api(`/v1/streams/${stream.id}/playback-signing-key`);
  const { signing_key: streamSigningKey } = (await signingKey.json()) as { signing_key: string };

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'exit code 0');
  t.match(output(), /"msg":"shutting down"/);
  t.notMatch(output(), /s3cret/, 'query strings stay out of the logs');
  t.notMatch(output(), /s3cr3t-token/, 'Authorization headers stay out of the logs');
  t.notMatch(output(), adminToken, 'the admin token stays out of the logs');
  t.notMatch(output(), TEST_INTERNAL_TOKEN, 'the internal token too, from a header or a query');
  t.match(output(), new RegExp(`"internal":"127.0.0.1:${internalPort}"`));
  t.notMatch(output(), streamKey.slice(-24), 'stream keys stay out of the logs');
  t.notMatch(output(), wrongKey.slice(-24), 'wrong stream keys too');
  t.match(output(), /"playbackSigningKeySet":true/);
  t.match(output(), /"msg":"playback token issued"/);
  t.notMatch(output(), playbackSigningKey, 'the playback signing key stays out of the logs');
  t.notMatch(output(), playbackToken.split('.')[2]!, 'playback tokens too');
  t.notMatch(output(), streamSigningKey, "and streams' signing keys");
  t.match(output(), /"msg":"publish authorized"/);
});

t.test('server.ts refuses to start with an invalid setting, naming it', async (t) => {
  const { child, output } = startServer({ ROUTE_TTL_SECONDS: 'soon', INTERNAL_TOKEN: TEST_INTERNAL_TOKEN });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(output(), /ROUTE_TTL_SECONDS=\\"soon\\"/);
});

t.test('server.ts refuses to start without INTERNAL_TOKEN', async (t) => {
  const { child, output } = startServer({ INTERNAL_TOKEN: '' });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(output(), /setting INTERNAL_TOKEN=\\"\\" is invalid: expected 32-256/);
});

t.test('a secret given both as a value and as a file: the API refuses to start and names the file, not the value', async (t) => {
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'api-secrets-'));
  t.teardown(() => rm(secrets, { recursive: true, force: true }));
  await writeFile(path.join(secrets, 'internal-token'), TEST_INTERNAL_TOKEN, { mode: 0o600 });
  const { child, output } = startServer({ INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, INTERNAL_TOKEN_FILE: path.join(secrets, 'internal-token'), API_PORT: '0', API_INTERNAL_PORT: '0' });
  const [code] = await once(child, 'exit');
  t.equal(code, 1, 'exit code 1');
  t.match(output(), /INTERNAL_TOKEN_FILE=.*internal-token.* is invalid: expected unset while INTERNAL_TOKEN is set/);
  t.notMatch(output(), TEST_INTERNAL_TOKEN, 'the token itself is not logged');
});
