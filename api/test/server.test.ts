import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test-support/free-port.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/wait-for.js';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));
// The TypeScript loader tap runs this test with.
const tsLoader = import.meta.resolve('@tapjs/typescript/import');

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, [`--import=${tsLoader}`, serverPath], {
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
  const port = await freePort();
  const adminToken = 'server-test-admin-token';
  const playbackSigningKey = 'server-test-playback-signing-key-0123456789';
  const { child, output } = startServer({
    PLAYBACK_SIGNING_KEY: playbackSigningKey,
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    REDIS_URL: redis.url,
    ALLOWED_STREAMS: 'golive',
    ADMIN_TOKEN: adminToken,
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  await waitFor(
    'the API to answer /health',
    async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200,
    { timeoutMs: 120_000 },
  );
  const lookup = await fetch(`http://127.0.0.1:${port}/authorize?name=golive&token=s3cret`);
  t.equal(lookup.status, 200);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    });
  const stream = (await (await api('/v1/streams', { method: 'POST', body: '{"name":"Logged?"}' })).json()) as { id: string };
  const keys = (await (await api(`/v1/streams/${stream.id}/stream-keys`)).json()) as { data: { stream_key: string }[] };
  const streamKey = keys.data[0]!.stream_key;
  const published = await fetch(`http://127.0.0.1:${port}/authorize?name=${streamKey}`);
  t.equal(published.status, 200);
  const wrongKey = `${streamKey.slice(0, -3)}xyz`;
  t.equal((await fetch(`http://127.0.0.1:${port}/authorize?name=${wrongKey}`)).status, 403);
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
  const { child, output } = startServer({ ROUTE_TTL_SECONDS: 'soon' });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(output(), /ROUTE_TTL_SECONDS=\\"soon\\"/);
});
