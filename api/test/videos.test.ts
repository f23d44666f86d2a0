/**
 * Seed 004's videos on a real redis-server: origins report recordings on the internal listener,
 * owners list, read and delete them on /v1, edges look them up.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi, type InternalCaller } from './fixtures/test-api.js';

const newUid = () => randomBytes(16).toString('hex');

/** An origin's report, as step 3's recorder sends it: recording.json plus who holds it. */
function reportOf(stream: string, changes: object = {}) {
  return {
    stream,
    origin_id: 'origin-a',
    origin_host: '127.0.0.1:8080',
    state: 'live-inprogress',
    created: '2021-09-23T05:44:30.453Z',
    ended: null,
    duration_s: 12.5,
    size_bytes: 1_000_000,
    width: null,
    height: null,
    ...changes,
  };
}

async function report(internal: InternalCaller, uid: string, body: object) {
  const answer = await internal.inject({ method: 'PUT', url: `/internal/videos/${uid}`, payload: body });
  return { statusCode: answer.statusCode, body: answer.json() };
}

t.test('videos on a real redis-server', async (t) => {
  let clock = Date.parse('2021-09-23T05:44:31.000Z');
  const { app, internal, internalApp } = await startTestApi(t, { allowedStreams: ['golive'], now: () => clock });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');

  t.test("a report shows in the list and by uid with the seed's fields; live-inprogress has no duration yet", async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Stream Live Test' })).json();
    const uid = newUid();
    t.same(await report(internal, uid, reportOf(stream.id)), { statusCode: 200, body: { keep: true } });
    const expected = {
      uid,
      created: '2021-09-23T05:44:30.453Z',
      modified: '2021-09-23T05:44:31.000Z',
      duration: -1,
      size: 1_000_000,
      input: { width: -1, height: -1 },
      status: { state: 'live-inprogress' },
      readyToStream: false,
      playback: { hls: `http://edge.test:8081/videos/${uid}/index.m3u8` },
      thumbnail: `http://edge.test:8081/videos/${uid}/thumbnails/thumbnail.jpg`,
      liveInput: stream.id,
      meta: { name: 'Stream Live Test 23 Sep 21 05:44 UTC' },
    };
    const listed = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/videos`);
    t.equal(listed.statusCode, 200);
    t.same(listed.json(), { data: [expected] });
    const one = await call(app, alice.token, 'GET', `/v1/videos/${uid}`);
    t.equal(one.statusCode, 200);
    t.same(one.json(), expected);

    clock += 60_000;
    const again = reportOf(stream.id);
    t.same((await report(internal, uid, again)).body, { keep: true });
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).json().modified, expected.modified, 'a report that changes nothing does not touch modified');

    clock += 60_000;
    const ended = { state: 'ready', ended: '2021-09-23T07:46:00.000Z', duration_s: 7272, size_bytes: 2_000_000, width: 640, height: 360 };
    t.same((await report(internal, uid, reportOf(stream.id, ended))).body, { keep: true });
    t.same((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).json(), {
      ...expected,
      modified: '2021-09-23T05:46:31.000Z',
      duration: 7272,
      size: 2_000_000,
      input: { width: 640, height: 360 },
      status: { state: 'ready' },
      readyToStream: true,
    });
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/videos`)).json().data.length, 1, 'still one video');
  });

  t.test('newest first, by creation time, whatever the order of the reports', async (t) => {
    const { id } = await createStream(app, alice.token);
    const [first, second, third] = [newUid(), newUid(), newUid()];
    await report(internal, second, reportOf(id, { created: '2026-01-02T00:00:00.000Z', state: 'ready', ended: '2026-01-02T01:00:00.000Z' }));
    await report(internal, third, reportOf(id, { created: '2026-01-03T00:00:00.000Z' }));
    await report(internal, first, reportOf(id, { created: '2026-01-01T00:00:00.000Z', state: 'ready', ended: '2026-01-01T01:00:00.000Z' }));
    const listed = (await call(app, alice.token, 'GET', `/v1/streams/${id}/videos`)).json().data;
    t.same(
      listed.map((video: { uid: string; status: { state: string } }) => [video.uid, video.status.state]),
      [
        [third, 'live-inprogress'],
        [second, 'ready'],
        [first, 'ready'],
      ],
    );
    const page = async (query: string) =>
      (await call(app, alice.token, 'GET', `/v1/streams/${id}/videos?${query}`)).json().data.map((video: { uid: string }) => video.uid);
    t.same(await page('limit=2'), [third, second], 'a page');
    t.same(await page('limit=2&before=2026-01-02T00:00:00.000Z'), [first], "the next: created before the last one's created");
    t.same(await page('before=2026-01-01T00:00:00.000Z'), [], 'none before the oldest');
    for (const [query, message] of [
      ['limit=0', /^querystring\.limit must match pattern .*; got "0"$/],
      ['limit=1001', /^querystring\.limit must match pattern .*; got "1001"$/],
      ['limit=2.5', /^querystring\.limit must match pattern .*; got "2\.5"$/],
      ['before=yesterday', /^querystring\.before must match format "date-time"/],
    ] as const) {
      const refused = await call(app, alice.token, 'GET', `/v1/streams/${id}/videos?${query}`);
      t.equal(refused.statusCode, 400, query);
      t.match(refused.json().error.message, message, query);
    }
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${(await createStream(app, alice.token)).id}/videos`)).json(), { data: [] }, 'none yet');
  });

  t.test("another user's videos are not found, nor deleted", async (t) => {
    const { id } = await createStream(app, alice.token);
    const uid = newUid();
    await report(internal, uid, reportOf(id));
    for (const [method, url] of [
      ['GET', `/v1/streams/${id}/videos`],
      ['GET', `/v1/videos/${uid}`],
      ['DELETE', `/v1/videos/${uid}`],
    ] as const) {
      const answer = await call(app, bob.token, method, url);
      t.equal(answer.statusCode, 404, `${method} ${url}`);
      t.match(answer.json().error.code, url.includes('videos/') ? 'LIVE_ERR_VIDEO_NOT_FOUND' : 'LIVE_ERR_STREAM_NOT_FOUND');
    }
    t.same((await call(app, bob.token, 'GET', `/v1/videos/${uid}`)).json().error, { code: 'LIVE_ERR_VIDEO_NOT_FOUND', message: `video "${uid}" does not exist` });
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).statusCode, 200, 'still there for its owner');
    t.equal((await call(app, undefined, 'GET', `/v1/videos/${uid}`)).statusCode, 401, 'no token, no video');
  });

  t.test('delete: 204, gone from /v1 and the edge, and the next report tells the origin to remove it', async (t) => {
    const { id } = await createStream(app, alice.token);
    const [deleted, kept] = [newUid(), newUid()];
    await report(internal, deleted, reportOf(id, { state: 'ready', ended: '2021-09-23T06:00:00.000Z' }));
    await report(internal, kept, reportOf(id, { created: '2021-09-22T05:44:30.453Z' }));
    const answer = await call(app, alice.token, 'DELETE', `/v1/videos/${deleted}`);
    t.equal(answer.statusCode, 204);
    t.equal(answer.body, '');
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${deleted}`)).statusCode, 404);
    t.equal((await call(app, alice.token, 'DELETE', `/v1/videos/${deleted}`)).statusCode, 404, 'deleting again: 404');
    t.same(
      (await call(app, alice.token, 'GET', `/v1/streams/${id}/videos`)).json().data.map((video: { uid: string }) => video.uid),
      [kept],
    );
    t.equal((await internal.inject(`/internal/videos/${deleted}`)).statusCode, 404, 'the edge no longer finds it');
    t.same(await report(internal, deleted, reportOf(id, { state: 'ready', ended: '2021-09-23T06:00:00.000Z' })), { statusCode: 200, body: { keep: false } });
    t.equal(await app.redis.exists(`video:${deleted}`), 0, 'the refused report stored nothing');
    const ttl = await app.redis.ttl(`video-deleted:${deleted}`);
    t.ok(ttl > 7 * 86_400 - 60 && ttl <= 7 * 86_400, `the tombstone lives VIDEO_TOMBSTONE_SECONDS (7 days): ${ttl} s`);
    t.same((await report(internal, kept, reportOf(id))).body, { keep: true }, 'the other video is kept');
  });

  t.test('stream deleted: its video keys go with it and the next report answers keep: false', async (t) => {
    const { id } = await createStream(app, alice.token);
    const [live, ready] = [newUid(), newUid()];
    await report(internal, live, reportOf(id));
    await report(internal, ready, reportOf(id, { state: 'ready', ended: '2021-09-23T06:00:00.000Z' }));
    t.equal(await app.redis.exists(`video:${live}`, `video:${ready}`, `stream:${id}:videos`), 3);
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${id}`)).statusCode, 204);
    t.equal(await app.redis.exists(`video:${live}`, `video:${ready}`, `stream:${id}:videos`), 0, 'no key left behind');
    t.equal((await internal.inject(`/internal/videos/${ready}`)).statusCode, 404);
    t.same((await report(internal, ready, reportOf(id, { state: 'ready', ended: '2021-09-23T06:00:00.000Z' }))).body, { keep: false });
    t.same((await report(internal, live, reportOf(id))).body, { keep: false });
    t.equal(await app.redis.exists(`video:${live}`, `video:${ready}`, `stream:${id}:videos`), 0, 'nor after the reports');
    t.same((await report(internal, newUid(), reportOf('zzzzzzzz'))).body, { keep: false }, 'a stream that never existed');
  });

  t.test("user deleted: every stream's video keys go too", async (t) => {
    const carol = await createUser(app, 'carol');
    const streams = [await createStream(app, carol.token), await createStream(app, carol.token)];
    const uids = [newUid(), newUid(), newUid()];
    await report(internal, uids[0]!, reportOf(streams[0]!.id));
    await report(internal, uids[1]!, reportOf(streams[1]!.id));
    await report(internal, uids[2]!, reportOf(streams[1]!.id, { created: '2021-09-24T00:00:00.000Z' }));
    t.equal((await call(app, 'test-admin-token-0123456789', 'DELETE', `/v1/users/${carol.id}`)).statusCode, 204);
    t.equal(await app.redis.exists(...uids.map((uid) => `video:${uid}`), ...streams.map(({ id }) => `stream:${id}:videos`)), 0);
    t.same((await report(internal, uids[2]!, reportOf(streams[1]!.id))).body, { keep: false });
  });

  t.test('the edge looks a video up: its origin, state and the playback policy of its stream, as it is now', async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Signed', require_signed_urls: true, allowed_origins: ['example.com'] })).json();
    const uid = newUid();
    await report(internal, uid, reportOf(stream.id, { origin_host: 'origin-b.internal:8080' }));
    const found = await internal.inject(`/internal/videos/${uid}`);
    t.equal(found.statusCode, 200);
    t.same(found.json(), {
      stream: stream.id,
      origin_host: 'origin-b.internal:8080',
      state: 'live-inprogress',
      require_signed_urls: true,
      allowed_origins: ['example.com'],
    });
    await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Open now', require_signed_urls: false, allowed_origins: [] });
    t.match((await internal.inject(`/internal/videos/${uid}`)).json(), { require_signed_urls: false, allowed_origins: [] }, 'a policy change applies to its videos');
    const unknown = await internal.inject(`/internal/videos/${newUid()}`);
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().error.code, 'LIVE_ERR_VIDEO_NOT_FOUND');
  });

  t.test('withdrawn by the origin that holds it (retention): unlisted, no tombstone; another origin cannot', async (t) => {
    const { id } = await createStream(app, alice.token);
    const uid = newUid();
    const ready = reportOf(id, { state: 'ready', ended: '2021-09-23T06:00:00.000Z' });
    await report(internal, uid, ready);
    const withdraw = (originId: string) => internal.inject({ method: 'DELETE', url: `/internal/videos/${uid}?origin_id=${originId}` });
    t.equal((await withdraw('origin-b')).statusCode, 204, 'another origin: 204 too');
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).statusCode, 200, 'but the video stays');
    t.equal((await withdraw('origin-a')).statusCode, 204);
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).statusCode, 404);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${id}/videos`)).json().data, []);
    t.equal((await internal.inject(`/internal/videos/${uid}`)).statusCode, 404);
    t.equal((await withdraw('origin-a')).statusCode, 204, 'again: 204');
    t.equal(await app.redis.exists(`video:${uid}`, `video-deleted:${uid}`), 0, 'nothing left, no tombstone');
    t.same((await report(internal, uid, ready)).body, { keep: true }, 'a later report registers it again');
    const missing = await internal.inject({ method: 'DELETE', url: `/internal/videos/${uid}` });
    t.equal(missing.statusCode, 400);
    t.match(missing.json().error.message, /^querystring\.origin_id is required$/);
  });

  t.test('open names (RECORD_OPEN_NAMES): kept while the name is open, played openly, never listed', async (t) => {
    const uid = newUid();
    t.same((await report(internal, uid, reportOf('golive'))).body, { keep: true });
    t.same((await internal.inject(`/internal/videos/${uid}`)).json(), {
      stream: 'golive',
      origin_host: '127.0.0.1:8080',
      state: 'live-inprogress',
      require_signed_urls: false,
      allowed_origins: [],
    });
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).statusCode, 404, 'nobody owns it');
    t.same((await report(internal, newUid(), reportOf('notopen'))).body, { keep: false }, 'a name that is not open');
  });

  t.test('a uid reported under another stream: 409, the stored video unchanged', async (t) => {
    const [a, b] = [await createStream(app, alice.token), await createStream(app, alice.token)];
    const uid = newUid();
    await report(internal, uid, reportOf(a.id));
    const clash = await report(internal, uid, reportOf(b.id));
    t.equal(clash.statusCode, 409);
    t.same(clash.body.error, {
      code: 'LIVE_ERR_VIDEO_STREAM_MISMATCH',
      message: `video "${uid}" belongs to stream "${a.id}"; the report names stream "${b.id}"`,
    });
    t.equal((await call(app, alice.token, 'GET', `/v1/videos/${uid}`)).json().liveInput, a.id);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${b.id}/videos`)).json().data, []);
  });

  t.test('malformed reports: 400 naming the field', async (t) => {
    const { id } = await createStream(app, alice.token);
    const cases: [string, object, RegExp][] = [
      [newUid(), { ...reportOf(id), state: 'done' }, /^body\.state must be equal to one of the allowed values/],
      [newUid(), { ...reportOf(id), stream: 'a/b' }, /^body\.stream must match pattern/],
      [newUid(), { ...reportOf(id), origin_host: 'evil.example/path' }, /^body\.origin_host must match pattern/],
      [newUid(), { ...reportOf(id), created: 'yesterday' }, /^body\.created must match format "date-time"/],
      [newUid(), { ...reportOf(id), ended: 5 }, /^body\.ended /],
      [newUid(), { ...reportOf(id), duration_s: -1 }, /^body\.duration_s must be >= 0; got -1$/],
      [newUid(), { ...reportOf(id), size_bytes: 1.5 }, /^body\.size_bytes must be integer; got 1\.5$/],
      [newUid(), { ...reportOf(id), width: 0 }, /^body\.width /],
      [newUid(), { ...reportOf(id), origin_id: undefined }, /^body\.origin_id is required$/],
      ['NOT-A-UID', reportOf(id), /^params\.uid must match pattern/],
      [newUid().slice(1), reportOf(id), /^params\.uid must match pattern/],
    ];
    for (const [uid, body, message] of cases) {
      const answer = await report(internal, uid, body);
      t.equal(answer.statusCode, 400, String(message));
      t.equal(answer.body.error.code, 'LIVE_ERR_VALIDATION');
      t.match(answer.body.error.message, message);
    }
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${id}/videos`)).json().data, [], 'nothing stored');
    t.equal((await call(app, alice.token, 'GET', '/v1/videos/NOT-A-UID')).statusCode, 400);
  });

  t.test('the internal routes need INTERNAL_TOKEN and are not on the public listener', async (t) => {
    const { id } = await createStream(app, alice.token);
    const uid = newUid();
    const put = await internalApp.inject({ method: 'PUT', url: `/internal/videos/${uid}`, payload: reportOf(id) });
    t.equal(put.statusCode, 401);
    t.equal(put.json().error.code, 'LIVE_ERR_UNAUTHORIZED');
    await report(internal, uid, reportOf(id));
    t.equal((await internalApp.inject({ method: 'DELETE', url: `/internal/videos/${uid}?origin_id=origin-a` })).statusCode, 401);
    t.equal((await internalApp.inject(`/internal/videos/${uid}`)).statusCode, 401);
    t.equal(await app.redis.exists(`video:${uid}`), 1, 'still there');
    const other = newUid();
    const wrong = await internalApp.inject({ method: 'PUT', url: `/internal/videos/${other}`, payload: reportOf(id), headers: { authorization: 'Bearer not-the-token' } });
    t.equal(wrong.statusCode, 401);
    t.equal(await app.redis.exists(`video:${other}`), 0, 'nothing stored');
    t.equal((await app.inject({ method: 'PUT', url: `/internal/videos/${other}`, payload: reportOf(id) })).statusCode, 404, 'not a public route');
    t.equal((await app.inject(`/internal/videos/${uid}`)).statusCode, 404, 'nor the lookup');
  });

  t.test("the route lookup names a live stream's video in progress (the edge's /<id>/lifecycle), else null", async (t) => {
    const stream = (await call(app, alice.token, 'POST', '/v1/streams', { name: 'Lifecycle' })).json();
    const lookup = async () => (await internal.inject({ method: 'GET', url: `/streams/${stream.id}` })).json();
    const registered = await internal.inject({
      method: 'POST',
      url: '/streams',
      payload: { name: stream.id, manifest: 'index.m3u8', host: '127.0.0.1:8080' },
    });
    t.equal(registered.statusCode, 200);
    t.equal((await lookup()).live_video_uid, null, 'live, nothing recorded yet');
    const uid = newUid();
    await report(internal, uid, reportOf(stream.id, { created: new Date(clock).toISOString() }));
    t.equal((await lookup()).live_video_uid, uid);
    await report(internal, uid, reportOf(stream.id, { created: new Date(clock).toISOString(), state: 'ready', ended: new Date(clock).toISOString() }));
    t.equal((await lookup()).live_video_uid, null, 'closed: no video in progress');
  });
});
