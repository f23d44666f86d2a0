/**
 * The per-user recording quota on a real redis-server: usage is the sum of the sizes origins
 * report for the user's videos; an admin overrides the quota per user; a user at or over it
 * goes live unrecorded and the stream says why; a report that reaches it stops the recording.
 * Also: live-inprogress videos whose origin stopped reporting are withdrawn.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { sumOf } from '../../test-support/prometheus-text.js';
import { waitFor } from '../../test-support/wait-for.js';
import { DEFAULT_RECORDING_QUOTA_BYTES } from '../src/settings.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi, type InternalCaller } from './fixtures/test-api.js';
import type { App } from '../src/app.js';

const newUid = () => randomBytes(16).toString('hex');
const MB = 1_000_000;

function reportOf(stream: string, sizeBytes: number, state: 'live-inprogress' | 'ready' = 'live-inprogress') {
  return {
    stream,
    origin_id: 'origin-a',
    origin_host: '127.0.0.1:8080',
    state,
    created: new Date(Date.now() - Math.floor(Math.random() * 1e9)).toISOString(),
    ended: state === 'ready' ? new Date().toISOString() : null,
    duration_s: 10,
    size_bytes: sizeBytes,
    width: 640,
    height: 360,
  };
}

async function report(internal: InternalCaller, uid: string, body: ReturnType<typeof reportOf>) {
  const answer = await internal.inject({ method: 'PUT', url: `/internal/videos/${uid}`, payload: body });
  if (answer.statusCode !== 200) throw new Error(`report answered ${answer.statusCode}: ${answer.body}`);
  return answer.json() as { keep: boolean; stop_recording?: boolean };
}

const storageOf = async (app: App, token: string) => (await call(app, token, 'GET', '/v1/me')).json().storage;
const metric = async (internalApp: App, name: string, labels: Record<string, string> = {}) => sumOf((await internalApp.inject('/metrics')).body, name, labels);

let sessions = 0;
/** Authorizes a publish of `key` as origin-1 would, then ends it (the lease goes) so the next one may publish. */
async function publish(internal: InternalCaller, key: string, stream: string) {
  const session = `session-${++sessions}`;
  const query = new URLSearchParams({ name: key, app: 'stream', addr: '127.0.0.1', origin_id: 'origin-1', session_id: session });
  const answer = await internal.inject(`/authorize?${query}`);
  await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/${session}?stream=${stream}` });
  return { statusCode: answer.statusCode, body: answer.json() };
}

t.test('usage is the sum of the sizes reported for the user’s videos, live and ready', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const [first, second] = [await createStream(app, alice.token, 'one'), await createStream(app, alice.token, 'two')];
  const bobs = await createStream(app, bob.token, 'bob');
  t.same(await storageOf(app, alice.token), { usedBytes: 0, quotaBytes: DEFAULT_RECORDING_QUOTA_BYTES });

  const live = newUid();
  await report(internal, live, reportOf(first.id, 1 * MB));
  await report(internal, live, reportOf(first.id, 3 * MB));
  t.equal((await storageOf(app, alice.token)).usedBytes, 3 * MB, 'a growing recording counts its latest size, not each report');
  await report(internal, live, reportOf(first.id, 4 * MB, 'ready'));
  await report(internal, live, reportOf(first.id, 4 * MB, 'ready'));
  const other = newUid();
  await report(internal, other, reportOf(second.id, 2 * MB, 'ready'));
  await report(internal, newUid(), reportOf(bobs.id, 50 * MB));
  await report(internal, newUid(), reportOf('golive', 70 * MB));
  t.equal((await storageOf(app, alice.token)).usedBytes, 6 * MB, "over both streams; bob's and an open name's are not alice's");
  t.equal((await storageOf(app, bob.token)).usedBytes, 50 * MB);

  t.equal((await call(app, alice.token, 'DELETE', `/v1/videos/${live}`)).statusCode, 204);
  t.equal((await storageOf(app, alice.token)).usedBytes, 2 * MB, 'a deleted video no longer counts');
  t.same(await report(internal, live, reportOf(first.id, 4 * MB, 'ready')), { keep: false }, 'nor after its tombstoned report');
  t.equal((await storageOf(app, alice.token)).usedBytes, 2 * MB);

  t.equal((await internal.inject({ method: 'DELETE', url: `/internal/videos/${other}?origin_id=origin-b` })).statusCode, 204);
  t.equal((await storageOf(app, alice.token)).usedBytes, 2 * MB, "another origin's withdrawal changes nothing");
  t.equal((await internal.inject({ method: 'DELETE', url: `/internal/videos/${other}?origin_id=origin-a` })).statusCode, 204);
  t.equal((await storageOf(app, alice.token)).usedBytes, 0, 'a withdrawn video no longer counts');
  await report(internal, other, reportOf(second.id, 2 * MB, 'ready'));
  t.equal((await storageOf(app, alice.token)).usedBytes, 2 * MB, 'and counts again once its origin reports it again');

  t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${second.id}`)).statusCode, 204);
  t.equal((await storageOf(app, alice.token)).usedBytes, 0, "a deleted stream's videos go with it");
});

t.test('an admin sets a user’s quota; the admin’s user view shows the storage', async (t) => {
  const { app, internal } = await startTestApi(t, { recordingQuotaBytes: 5 * MB });
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  await report(internal, newUid(), reportOf(stream.id, 2 * MB, 'ready'));

  const viewed = await call(app, ADMIN_TOKEN, 'GET', `/v1/users/${alice.id}`);
  t.equal(viewed.statusCode, 200);
  t.match(viewed.json(), { id: alice.id, name: 'alice', storage: { usedBytes: 2 * MB, quotaBytes: 5 * MB } }, 'RECORDING_QUOTA_BYTES by default');

  const patched = await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: 20 * MB } });
  t.equal(patched.statusCode, 200);
  t.same(patched.json().storage, { usedBytes: 2 * MB, quotaBytes: 20 * MB });
  t.same(await storageOf(app, alice.token), { usedBytes: 2 * MB, quotaBytes: 20 * MB }, 'the user sees it in /v1/me');

  const reset = await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: null } });
  t.same(reset.json().storage, { usedBytes: 2 * MB, quotaBytes: 5 * MB }, 'null: back to the setting');

  const negative = await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: -1 } });
  t.equal(negative.statusCode, 400);
  t.match(negative.json().error, { code: 'LIVE_ERR_VALIDATION' });
  t.match(JSON.stringify(negative.json().error), /quotaBytes/, 'the error names the field');
  t.equal((await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: 1.5 } })).statusCode, 400);
  t.equal((await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: {} })).statusCode, 400);
  t.equal((await call(app, ADMIN_TOKEN, 'PATCH', '/v1/users/nobody12', { storage: { quotaBytes: 1 } })).statusCode, 404);
  t.equal((await call(app, alice.token, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: 10 ** 12 } })).statusCode, 403, 'users cannot raise their own quota');
});

t.test('a user at or over the quota goes live unrecorded, and the stream says why', async (t) => {
  const { app, internal, internalApp } = await startTestApi(t, { recordingQuotaBytes: 5 * MB });
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const streamBody = async () => (await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json();

  t.same((await publish(internal, stream.rtmpKey, stream.id)).body.recording, { mode: 'automatic', timeout_seconds: 0 }, 'under quota: recorded');
  t.equal((await streamBody()).recordingStatus, null);

  const full = newUid();
  await report(internal, full, reportOf(stream.id, 5 * MB, 'ready'));
  const over = await publish(internal, stream.rtmpKey, stream.id);
  t.equal(over.statusCode, 200, 'the publish is allowed: storage never stops a broadcast');
  t.same(over.body, { allowed: true, name: stream.id, key_generation: 1, recording: { mode: 'off', timeout_seconds: 0 } }, 'not recorded');
  t.equal((await streamBody()).recordingStatus, 'quota-exceeded');
  t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/videos`)).json().data.length, 1, 'nothing recorded was deleted');
  t.equal(await metric(internalApp, 'api_recording_quota_stops_total', { at: 'publish' }), 1, 'counted for the operator');

  const raised = await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: 6 * MB } });
  t.equal(raised.statusCode, 200);
  t.same((await publish(internal, stream.rtmpKey, stream.id)).body.recording, { mode: 'automatic', timeout_seconds: 0 }, 'a raised quota records again');
  t.equal((await streamBody()).recordingStatus, null, 'and the reason is cleared by that session');

  t.equal((await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'x', recording: { mode: 'off' } })).statusCode, 200);
  await call(app, ADMIN_TOKEN, 'PATCH', `/v1/users/${alice.id}`, { storage: { quotaBytes: 0 } });
  t.same((await publish(internal, stream.rtmpKey, stream.id)).body.recording, { mode: 'off', timeout_seconds: 0 });
  t.equal((await streamBody()).recordingStatus, null, 'a stream set not to record was not stopped by the quota');
});

t.test('a live-inprogress report that reaches the quota answers stop_recording; the video stays', async (t) => {
  const { app, internal, internalApp } = await startTestApi(t, { recordingQuotaBytes: 5 * MB });
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const uid = newUid();
  t.same(await report(internal, uid, reportOf(stream.id, 2 * MB)), { keep: true }, 'under quota: recording goes on');
  t.same(await report(internal, uid, reportOf(stream.id, 5 * MB)), { keep: true, stop_recording: true }, 'at the quota: stop');
  t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().recordingStatus, 'quota-exceeded');
  t.same(await report(internal, uid, reportOf(stream.id, 5 * MB, 'ready')), { keep: true }, 'its close is kept, not stopped again');
  const video = await call(app, alice.token, 'GET', `/v1/videos/${uid}`);
  t.match(video.json(), { status: { state: 'ready' }, size: 5 * MB });
  t.equal(await metric(internalApp, 'api_recording_quota_stops_total', { at: 'report' }), 1);
  t.equal(await metric(internalApp, 'api_recording_quota_stops_total', { at: 'publish' }), 0);

  const admins = await createStream(app, ADMIN_TOKEN, 'operator');
  t.same(await report(internal, newUid(), reportOf(admins.id, 10 * 5 * MB)), { keep: true }, 'the built-in admin is not limited');
});

t.test('live-inprogress videos whose origin stopped reporting are withdrawn; a later report registers them again', async (t) => {
  let clock = Date.parse('2026-12-01T00:00:00.000Z');
  const { app, internal, internalApp } = await startTestApi(t, { videoReportTimeoutSeconds: 2, now: () => clock });
  const alice = await createUser(app, 'alice');
  const stream = await createStream(app, alice.token);
  const [vanished, reporting, ready] = [newUid(), newUid(), newUid()];
  await report(internal, vanished, reportOf(stream.id, 1 * MB));
  await report(internal, reporting, reportOf(stream.id, 1 * MB));
  await report(internal, ready, reportOf(stream.id, 1 * MB, 'ready'));
  const listed = async () => ((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/videos`)).json().data as { uid: string }[]).map((video) => video.uid).sort();

  clock += 3000;
  await report(internal, reporting, reportOf(stream.id, 2 * MB));
  await waitFor('the vanished origin’s video to be withdrawn', async () => !(await listed()).includes(vanished), { timeoutMs: 30_000 });
  t.same(await listed(), [reporting, ready].sort(), 'a video still reported, and a ready one, stay');
  t.equal((await storageOf(app, alice.token)).usedBytes, 3 * MB, 'the withdrawn one is no longer counted');
  t.equal(await metric(internalApp, 'api_stale_videos_withdrawn_total'), 1);

  await report(internal, vanished, reportOf(stream.id, 1 * MB, 'ready'));
  t.same(await listed(), [vanished, reporting, ready].sort(), 'its origin came back and closed it: listed again');
  t.equal((await storageOf(app, alice.token)).usedBytes, 4 * MB);
});
