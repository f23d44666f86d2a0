import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePort } from '../../test-support/free-port.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { sumOf } from '../../test-support/prometheus-text.js';
import { TYPESCRIPT_LOADER_ARG } from '../../test-support/typescript-loader.js';
import { waitFor } from '../../test-support/wait-for.js';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('the service registers a live stream, counts it in /metrics, and withdraws it on SIGTERM before exiting', async (t) => {
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

  const httpPort = await freePort();
  const local = `http://127.0.0.1:${httpPort}`;
  const child = spawn(process.execPath, [TYPESCRIPT_LOADER_ARG, serverPath], {
    env: {
      PATH: process.env.PATH,
      // As tap runs this file: compiled without type checking (the build checks the types), so
      // the service starts in seconds even on a loaded machine.
      TS_NODE_TRANSPILE_ONLY: '1',
      HLS_PATH: hlsPath,
      API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      ORIGIN_HOST: '10.0.0.7:8080',
      INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      LOG_LEVEL: 'info',
      DISCOVERY_HTTP_PORT: String(httpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.teardown(() => child.kill('SIGKILL'));

  await waitFor('discovery started', () => output.includes('discovery started'), { timeoutMs: 120_000 });
  t.same(await (await fetch(`${local}/health`)).json(), { status: 'ok' });
  const ready = await fetch(`${local}/ready`);
  t.equal(ready.status, 200, 'ready once the initial scan is done');
  t.same(await ready.json(), { status: 'ready' });
  const idle = await (await fetch(`${local}/metrics`)).text();
  t.equal(sumOf(idle, 'discovery_reports_total'), 0);
  t.equal(sumOf(idle, 'discovery_api_reachable'), 1);
  t.match(idle, /^process_cpu_user_seconds_total /m, 'with the process metrics');
  await mkdir(path.join(hlsPath, 'golive'));
  await writeFile(path.join(hlsPath, 'golive', 'index.m3u8.tmp'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n0.ts\n');
  await rename(path.join(hlsPath, 'golive', 'index.m3u8.tmp'), path.join(hlsPath, 'golive', 'index.m3u8'));
  await waitFor('registered', () => requests.length > 0);
  t.same(requests, ['POST /streams {"name":"golive","manifest":"index.m3u8","host":"10.0.0.7:8080"}']);
  const live = await waitFor('the report counted', async () => {
    const text = await (await fetch(`${local}/metrics`)).text();
    return sumOf(text, 'discovery_reports_total', { kind: 'register', outcome: 'ok' }) === 1 && text;
  });
  t.equal(sumOf(live, 'discovery_live_streams'), 1);
  t.equal(sumOf(live, 'discovery_report_lag_seconds_count', { kind: 'register' }), 1, 'the lag from the manifest write');
  t.ok(sumOf(live, 'discovery_report_lag_seconds_sum', { kind: 'register' }) < 60, 'measured from the mtime, in seconds');
  t.equal(sumOf(live, 'discovery_api_errors_total'), 0);

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exits cleanly');
  t.equal(requests.at(-1), 'DELETE /streams/golive?host=10.0.0.7%3A8080 ', 'withdrawn before exiting');
  t.match(output, /stream withdrawn at shutdown/);
});

t.test('a bad setting stops the service at start-up with a message naming it', async (t) => {
  const child = spawn(process.execPath, [TYPESCRIPT_LOADER_ARG, serverPath], {
    env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: '1', ORIGIN_HOST: 'no-port', INTERNAL_TOKEN: TEST_INTERNAL_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 1);
  t.match(output, /ORIGIN_HOST=\\+"no-port\\+" is invalid/);
});
