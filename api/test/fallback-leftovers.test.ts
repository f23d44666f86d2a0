/**
 * Uploads a crashed API left in FALLBACK_PATH are removed when an API starts, and nothing another
 * live instance sharing the folder is working on.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { testAsset } from '../../test-support/ffmpeg.js';
import { startRedisServer } from '../../test-support/redis-server.js';
import { waitFor } from '../../test-support/wait-for.js';
import { ownerFolderName, ownerState, parseOwnerFolderName, type ProcessIdentity } from '../src/fallback/work-owner.js';
import { startApiProcess } from './fixtures/api-process.js';
import { workFiles } from './fixtures/fallback-work.js';
import { SlowUpload } from './fixtures/slow-upload.js';

const ADMIN_TOKEN = 'leftovers-test-admin-token';

/** The pid of a process that has run and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** A job folder with a partial upload in it, last changed `ageMs` ago. */
async function plantJob(fallbackPath: string, owner: string, job: string, ageMs = 0): Promise<void> {
  const folder = path.join(fallbackPath, '.incoming', owner, job);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'upload'), Buffer.alloc(1000));
  const when = new Date(Date.now() - ageMs);
  await utimes(path.join(folder, 'upload'), when, when);
  await utimes(folder, when, when);
}

t.test('owner folders: whose process is gone', async (t) => {
  const self: ProcessIdentity = { host: 'api-1', pid: 1, startedAtMs: 1_700_000_000_000 };
  const running = new Set([1, 42]);
  const state = (name: string) => ownerState(parseOwnerFolderName(name), self, (pid) => running.has(pid));
  t.equal(ownerFolderName(self), 'api-1.1.1700000000000');
  t.equal(state('api-1.1.1700000000000'), 'alive', 'this process');
  t.equal(state('api-1.1.1699999999000'), 'dead', 'an earlier process with the same pid (a restarted container)');
  t.equal(state('api-1.42.1690000000000'), 'alive', 'another running process of this host');
  t.equal(state('api-1.43.1690000000000'), 'dead', 'a process of this host that no longer runs');
  t.equal(state('api-2.example.org.43.1690000000000'), 'unknown', "another host's: this host cannot tell");
  t.equal(state('job-Ab12Cd'), 'unknown', 'not an owner folder (an older layout)');
  t.same(parseOwnerFolderName('api-2.example.org.43.1690000000000'), { host: 'api-2.example.org', pid: 43, startedAtMs: 1_690_000_000_000 });
});

t.test('a crashed API\'s partial upload is gone once an API starts again; a live instance\'s work stays', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.remove());
  const fallbackPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-leftovers-'));
  t.teardown(() => rm(fallbackPath, { recursive: true, force: true }));
  const env = { REDIS_URL: redis.url, FALLBACK_PATH: fallbackPath, ADMIN_TOKEN, LOG_LEVEL: 'info' };

  const first = await startApiProcess(t, env);
  const created = await fetch(`${first.url}/v1/streams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: '{"name":"Crash test"}',
  });
  const { id } = (await created.json()) as { id: string };
  const upload = new SlowUpload(Number(new URL(first.url).port), ADMIN_TOKEN, id, await readFile(testAsset('h264-aac.flv')));
  upload.send(50_000);
  const [partial] = await waitFor('the partial upload on disk', async () => {
    const files = await workFiles(fallbackPath);
    return files.length === 1 && (await stat(path.join(fallbackPath, files[0]!))).size === 50_000 && files;
  });
  await first.stop('SIGKILL');
  upload.abort();
  t.same(await workFiles(fallbackPath), [partial], 'the crash left the partial upload behind');

  // What else may be in a shared FALLBACK_PATH: another dead process of this host, and another
  // host's instance: a job untouched for two days (its process died) and one it is receiving now.
  await plantJob(fallbackPath, `${os.hostname()}.${await deadPid()}.1700000000000`, 'job-dead');
  await plantJob(fallbackPath, 'api-elsewhere.7.1700000000000', 'job-stale', 2 * 24 * 3600 * 1000);
  await plantJob(fallbackPath, 'api-elsewhere.7.1700000000000', 'job-live');

  const second = await startApiProcess(t, env);
  t.same(
    await workFiles(fallbackPath),
    ['.incoming/api-elsewhere.7.1700000000000/job-live/upload'],
    "only the other host's recent job is left",
  );
  t.match(second.output(), /"removed":3,"msg":"fallback uploads left by a stopped API removed"/);
});
