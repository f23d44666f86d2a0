import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { waitFor } from '../../test-support/wait-for.js';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('the service registers a live stream and withdraws it on SIGTERM before exiting', async (t) => {
  const requests: string[] = [];
  const api = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      if (req.headers.authorization !== `Bearer ${TEST_INTERNAL_TOKEN}`) return res.writeHead(401).end();
      if (req.method === 'DELETE') return res.writeHead(204).end();
      // As the API answers a report: the registration.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...JSON.parse(body), state: 'live', ttl_seconds: 30 }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => api.close(resolve)));

  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'discovery-server-'));
  t.teardown(() => rm(hlsPath, { recursive: true, force: true }));

  // Run server.ts with the same TypeScript loader tap uses for this file.
  const child = spawn(process.execPath, [...process.execArgv.filter((arg) => arg.includes('typescript')), serverPath], {
    env: {
      PATH: process.env.PATH,
      HLS_PATH: hlsPath,
      API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      ORIGIN_HOST: '10.0.0.7:8080',
      INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.teardown(() => child.kill('SIGKILL'));

  await waitFor('discovery started', () => output.includes('discovery started'), { timeoutMs: 120_000 });
  await mkdir(path.join(hlsPath, 'golive'));
  await writeFile(path.join(hlsPath, 'golive', 'index.m3u8.tmp'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n0.ts\n');
  await rename(path.join(hlsPath, 'golive', 'index.m3u8.tmp'), path.join(hlsPath, 'golive', 'index.m3u8'));
  await waitFor('registered', () => requests.length > 0);
  t.same(requests, ['POST /streams {"name":"golive","manifest":"index.m3u8","host":"10.0.0.7:8080"}']);

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exits cleanly');
  t.equal(requests.at(-1), 'DELETE /streams/golive?host=10.0.0.7%3A8080 ', 'withdrawn before exiting');
  t.match(output, /stream withdrawn at shutdown/);
});

t.test('a bad setting stops the service at start-up with a message naming it', async (t) => {
  const child = spawn(process.execPath, [...process.execArgv.filter((arg) => arg.includes('typescript')), serverPath], {
    env: { PATH: process.env.PATH, ORIGIN_HOST: 'no-port', INTERNAL_TOKEN: TEST_INTERNAL_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 1);
  t.match(output, /ORIGIN_HOST=\\+"no-port\\+" is invalid/);
});
