/**
 * Fallback uploads against slow and stalling clients, over real sockets with real ffmpeg: a body
 * that is still arriving holds no conversion slot, an upload that stalls or drags on is answered
 * with a JSON 408 and leaves no file behind, and uploads under way are bounded per stream, per
 * user and per API instance.
 */
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { testAsset } from '../../test-support/ffmpeg.js';
import { waitFor } from '../../test-support/wait-for.js';
import type { AppOptions } from '../src/app.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { jobsUnderWay, workFiles } from './fixtures/fallback-work.js';
import { SlowUpload } from './fixtures/slow-upload.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

const flv = await readFile(testAsset('h264-aac.flv'));

/** An API listening on a real socket, its fallbacks in a folder the test can look into. */
async function listeningApi(t: Test, options: Partial<AppOptions> = {}) {
  const fallbackPath = await mkdtemp(path.join(os.tmpdir(), 'livestack-upload-limits-'));
  t.teardown(() => rm(fallbackPath, { recursive: true, force: true }));
  const { app, internal } = await startTestApi(t, { fallbackPath, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const slowUpload = (token: string, streamId: string) => {
    const upload = new SlowUpload(port, token, streamId, flv);
    t.teardown(() => upload.abort());
    return upload;
  };
  const waitForJobs = (count: number) =>
    waitFor(`${count} uploads under way`, async () => (await jobsUnderWay(fallbackPath)).length === count);
  const fullUpload = (token: string, streamId: string) =>
    fetch(`http://127.0.0.1:${port}/v1/streams/${streamId}/fallback`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'video/x-flv' },
      body: flv,
    });
  return { app, internal, fallbackPath, slowUpload, waitForJobs, fullUpload };
}

t.test('two trickling uploads hold no conversion slot: a third user uploads, converts and is ready meanwhile', async (t) => {
  // FALLBACK_MAX_CONVERSIONS=2 (the default): before, these two bodies took both slots.
  const { app, internal, slowUpload, waitForJobs, fullUpload } = await listeningApi(t, { fallbackMaxConversions: 2 });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => createUser(app, name)));
  const aliceStream = await createStream(app, alice!.token);
  const bobStream = await createStream(app, bob!.token);
  const carolStream = await createStream(app, carol!.token);

  const trickles = [slowUpload(alice!.token, aliceStream.id), slowUpload(bob!.token, bobStream.id)];
  for (const upload of trickles) {
    upload.send(1000);
    upload.startTrickle(1000);
  }
  await waitForJobs(2);

  const carols = await fullUpload(carol!.token, carolStream.id);
  t.equal(carols.status, 201, 'the third upload is converted while the other two trickle');
  const ready = await call(app, carol!.token, 'GET', `/v1/streams/${carolStream.id}/fallback`);
  t.equal(ready.statusCode, 200);
  t.match(ready.json().fallback, { width: 640, height: 360 });
  t.same(
    (await internal.inject(`/internal/streams/${carolStream.id}/restream`)).json().fallback,
    { version: 1, url: `/internal/streams/${carolStream.id}/fallback` },
    'origins are offered it',
  );

  // The trickling uploads were still being received all along: finished, they convert too.
  for (const upload of trickles) upload.finish();
  const answers = await Promise.all(trickles.map((upload) => upload.answer));
  t.same(
    answers.map((answer) => answer.status),
    [201, 201],
  );
  t.equal((await call(app, alice!.token, 'GET', `/v1/streams/${aliceStream.id}/fallback`)).statusCode, 200);
});

t.test('an upload that sends nothing for FALLBACK_UPLOAD_IDLE_SECONDS gets a JSON 408 and leaves no file', async (t) => {
  const { app, fallbackPath, slowUpload, waitForJobs, fullUpload } = await listeningApi(t, { fallbackUploadIdleSeconds: 1 });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  const stalled = slowUpload(token, stream.id);
  stalled.send(50_000);
  await waitForJobs(1);
  t.same(await workFiles(fallbackPath).then((files) => files.map((file) => path.basename(file))), ['upload'], 'spooled to a file');

  const answer = await stalled.answer;
  t.equal(answer.status, 408);
  t.same(answer.body.error, {
    code: 'LIVE_ERR_UPLOAD_STALLED',
    message: 'the upload sent nothing for 1 s (FALLBACK_UPLOAD_IDLE_SECONDS) and was given up',
  });
  t.equal(answer.headers.connection, 'close');
  await stalled.closed;
  t.same(await jobsUnderWay(fallbackPath), [], 'its work folder is gone');
  t.same(await workFiles(fallbackPath), [], 'the partial upload is removed');
  t.equal((await call(app, token, 'GET', `/v1/streams/${stream.id}/fallback`)).statusCode, 404, 'nothing stored');

  t.equal((await fullUpload(token, stream.id)).status, 201, 'the stream takes a new upload');
});

t.test('an upload still arriving after FALLBACK_UPLOAD_TIMEOUT_SECONDS gets a JSON 408 and leaves no file', async (t) => {
  const { app, fallbackPath, slowUpload, waitForJobs } = await listeningApi(t, {
    fallbackUploadIdleSeconds: 30,
    fallbackUploadTimeoutSeconds: 2,
  });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  const dragging = slowUpload(token, stream.id);
  dragging.send(1000);
  dragging.startTrickle(100);
  await waitForJobs(1);
  const answer = await dragging.answer;
  t.equal(answer.status, 408);
  t.same(answer.body.error, {
    code: 'LIVE_ERR_UPLOAD_TOO_SLOW',
    message:
      'the upload took longer than FALLBACK_UPLOAD_TIMEOUT_SECONDS=2 and was given up; upload a smaller file or from a faster connection',
  });
  await dragging.closed;
  t.same(await workFiles(fallbackPath), [], 'the partial upload is removed');
});

t.test('uploads under way: one per stream, FALLBACK_MAX_UPLOADS_PER_USER per user, FALLBACK_MAX_UPLOADS in all', async (t) => {
  const { app, slowUpload, waitForJobs, fullUpload } = await listeningApi(t, { fallbackMaxUploads: 3, fallbackMaxUploadsPerUser: 1 });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const [first, second] = [await createStream(app, alice.token), await createStream(app, alice.token)];
  const bobStream = await createStream(app, bob.token);
  const [adminFirst, adminSecond] = [await createStream(app, ADMIN_TOKEN), await createStream(app, ADMIN_TOKEN)];

  const held = [slowUpload(alice.token, first.id)];
  held[0]!.send(1000);
  await waitForJobs(1);

  const same = await fullUpload(alice.token, first.id);
  t.equal(same.status, 409);
  t.equal(((await same.json()) as { error: { code: string } }).error.code, 'LIVE_ERR_FALLBACK_IN_PROGRESS');

  const another = await fullUpload(alice.token, second.id);
  t.equal(another.status, 429);
  t.same(((await another.json()) as { error: object }).error, {
    code: 'LIVE_ERR_TOO_MANY_UPLOADS',
    message: 'you already have 1 fallback uploads under way, the most FALLBACK_MAX_UPLOADS_PER_USER allows; retry when one is done',
  });

  // The built-in admin is not bound by the per-user limit, only by the instance's.
  for (const id of [adminFirst.id, adminSecond.id]) {
    const upload = slowUpload(ADMIN_TOKEN, id);
    upload.send(1000);
    held.push(upload);
  }
  await waitForJobs(3);
  const busy = await fullUpload(bob.token, bobStream.id);
  t.equal(busy.status, 503);
  t.equal(busy.headers.get('retry-after'), '10');
  t.same(((await busy.json()) as { error: object }).error, {
    code: 'LIVE_ERR_FALLBACK_BUSY',
    message: 'this API is already taking 3 fallback uploads (FALLBACK_MAX_UPLOADS); retry in 10 s',
  });

  for (const upload of held) upload.finish();
  t.same(
    (await Promise.all(held.map((upload) => upload.answer))).map((answer) => answer.status),
    [201, 201, 201],
  );
  t.equal((await fullUpload(bob.token, bobStream.id)).status, 201, 'free again');
  t.equal((await fullUpload(alice.token, second.id)).status, 201);
});

t.test('a client that goes away mid-upload frees its stream and leaves no file', async (t) => {
  const { app, fallbackPath, slowUpload, waitForJobs, fullUpload } = await listeningApi(t);
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const upload = slowUpload(token, stream.id);
  upload.send(20_000);
  await waitForJobs(1);
  upload.abort();
  await waitForJobs(0);
  t.same(await workFiles(fallbackPath), []);
  t.equal((await fullUpload(token, stream.id)).status, 201);
});
