import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { repoRoot } from '../../test-support/repo-root.js';
import { startTestApi } from './fixtures/test-api.js';

/** A dashboard folder as `npm run build` lays it out, with stand-in files. */
async function dashboardFolder(t: Test): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'livestack-dashboard-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await mkdir(path.join(root, 'app'));
  await writeFile(path.join(root, 'index.html'), '<!doctype html><script type="module" src="/app/main.js"></script>');
  await writeFile(path.join(root, 'app', 'main.js'), 'console.log("dashboard");');
  await writeFile(path.join(root, 'dashboard.css'), 'body {}');
  return root;
}

t.test('the public listener serves the dashboard under / with a strict content security policy', async (t) => {
  const { app, internalApp } = await startTestApi(t, {
    dashboardPath: await dashboardFolder(t),
    publicPlaybackUrl: 'https://play.example.com',
    ingestWebSocketUrl: 'wss://live.example.com:8443/ingest/ws?stream_key={stream_key}',
  });
  const page = await app.inject('/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /\/app\/main\.js/);
  const policy = String(page.headers['content-security-policy']);
  t.match(policy, /script-src 'self'(;|$)/, 'no inline or foreign scripts');
  t.match(
    policy,
    /connect-src 'self' https:\/\/play\.example\.com wss:\/\/live\.example\.com:8443(;|$)/,
    'the player may fetch from the edge and the go-live section open the ingest WebSocket, nothing else but the API',
  );
  t.match(policy, /img-src 'self' data: https:\/\/play\.example\.com(;|$)/, 'pictures from the edge too (recordings\' thumbnails)');
  t.match(policy, /frame-ancestors 'none'/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['cache-control'], 'no-cache');

  const script = await app.inject('/app/main.js');
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /javascript/);
  t.equal((await app.inject('/dashboard.css')).statusCode, 200);

  const missing = await app.inject('/app/nope.js');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.code, 'LIVE_ERR_ROUTE_NOT_FOUND', 'other paths keep the API’s JSON 404');
  t.equal((await app.inject('/../package.json')).statusCode, 404);
  t.equal((await internalApp.inject('/')).statusCode, 404, 'the internal listener serves no page');
});

t.test('without a built dashboard the API still starts and / answers the JSON 404', async (t) => {
  const { app } = await startTestApi(t, { dashboardPath: path.join(os.tmpdir(), 'no-such-dashboard') });
  const page = await app.inject('/');
  t.equal(page.statusCode, 404);
  t.equal(page.json().error.code, 'LIVE_ERR_ROUTE_NOT_FOUND');
  t.equal((await app.inject('/health')).statusCode, 200);
});

t.test('npm run build lays out the dashboard the page expects: its script, its style and hls.js', async (t) => {
  const { app } = await startTestApi(t, { dashboardPath: path.join(repoRoot, 'dist', 'dashboard') });
  const page = await app.inject('/');
  t.equal(page.statusCode, 200);
  for (const asset of ['/app/main.js', '/dashboard.css', '/app/vendor/hls.min.mjs']) {
    t.equal((await app.inject(asset)).statusCode, 200, asset);
  }
  t.match(page.body, /src="\/app\/main\.js"/);
});
