import t from 'tap';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

/** Session ids as an edge makes them: 8-64 of A-Z a-z 0-9 _ -. */
const session = (n: number) => `session-${String(n).padStart(4, '0')}`;

t.test('viewer counts from edge batches on a real redis-server, on a moved clock', async (t) => {
  let clock = 1_750_000_000_000;
  const { app, internal } = await startTestApi(t, { now: () => clock });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const stream = await createStream(app, alice.token);

  const batch = (streams: Record<string, string[]>) => internal.inject({ method: 'POST', url: '/views', payload: { streams } });
  const live = async (name: string) => {
    const answer = await internal.inject({ method: 'GET', url: `/streams/${name}/views` });
    t.equal(answer.statusCode, 200);
    return answer.json().liveViewers as number;
  };
  const totals = async () => {
    const answer = await call(app, alice.token, 'GET', `/v1/streams/${stream.id}/views`);
    t.equal(answer.statusCode, 200);
    return answer.json();
  };

  t.test('a stream nobody watched: zeros', async (t) => {
    t.same(await totals(), { liveViewers: 0, views: 0, time_viewed_s: 0 });
    t.equal(await live(stream.id), 0);
  });

  t.test('two edges, one session on both: three viewers, three views', async (t) => {
    const edgeA = await batch({ [stream.id]: [session(1), session(2)] });
    t.equal(edgeA.statusCode, 204);
    t.equal(edgeA.body, '');
    t.equal((await batch({ [stream.id]: [session(2), session(3), session(3)] })).statusCode, 204);
    t.same(await totals(), { liveViewers: 3, views: 3, time_viewed_s: 0 });
    t.equal(await live(stream.id), 3, 'the public count agrees');
  });

  t.test('a session seen again within the window is no new view and adds the time since it was last seen', async (t) => {
    clock += 10_000;
    await batch({ [stream.id]: [session(1)] });
    t.same(await totals(), { liveViewers: 3, views: 3, time_viewed_s: 10 });
    clock += 19_999;
    await batch({ [stream.id]: [session(2)] });
    // session 2: last seen 29.999 s ago, so still the same view.
    t.same(await totals(), { liveViewers: 3, views: 3, time_viewed_s: 39 });
  });

  t.test('a session is gone 30 s after its last request; back later, it is a new view', async (t) => {
    // session 3 was last seen 29.999 s ago, sessions 1 and 2 more recently.
    t.equal(await live(stream.id), 3);
    clock += 1;
    t.equal(await live(stream.id), 2, 'session 3 left exactly 30 s after its last request');
    clock += 19_999;
    t.equal(await live(stream.id), 1, 'session 1 left 30 s after its last sighting; session 2 is still there');
    await batch({ [stream.id]: [session(1)] });
    t.same(await totals(), { liveViewers: 2, views: 4, time_viewed_s: 39 }, 'session 1 came back: a new view, no time added');
    clock += 30_000;
    t.same(await totals(), { liveViewers: 0, views: 4, time_viewed_s: 39 }, 'everybody left; the totals stay');
  });

  t.test('an open name gets a live count and no totals', async (t) => {
    await batch({ golive: [session(7), session(8)], [stream.id]: [session(9)] });
    t.equal(await live('golive'), 2);
    t.equal(await app.redis.exists('views:golive', 'time-viewed:golive'), 0, 'no counters for a name that is no stream');
    t.equal(await live('nobody'), 0, 'an unknown name has no viewers');
  });

  t.test('keys: the live set expires by itself, the totals are durable', async (t) => {
    const ttl = await app.redis.pttl(`viewers:${stream.id}`);
    t.ok(ttl > 0 && ttl <= 30_000, `viewers:<id> expires within the window (${ttl} ms)`);
    t.equal(await app.redis.pttl(`views:${stream.id}`), -1);
    t.equal(await app.redis.pttl(`time-viewed:${stream.id}`), -1);
  });

  t.test('owner only: another user gets 404, no API token 401', async (t) => {
    const foreign = await call(app, bob.token, 'GET', `/v1/streams/${stream.id}/views`);
    t.equal(foreign.statusCode, 404);
    t.equal(foreign.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
    t.equal((await call(app, undefined, 'GET', `/v1/streams/${stream.id}/views`)).statusCode, 401);
  });

  t.test('deleting the stream deletes its counts, and late batches do not bring them back', async (t) => {
    const doomed = await createStream(app, alice.token, 'Doomed');
    await batch({ [doomed.id]: [session(1)] });
    t.equal(await app.redis.exists(`views:${doomed.id}`, `time-viewed:${doomed.id}`, `viewers:${doomed.id}`), 3);
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${doomed.id}`)).statusCode, 204);
    t.equal(await app.redis.exists(`views:${doomed.id}`, `time-viewed:${doomed.id}`, `viewers:${doomed.id}`), 0);
    await batch({ [doomed.id]: [session(1)] });
    t.equal(await app.redis.exists(`views:${doomed.id}`, `time-viewed:${doomed.id}`), 0);
  });
});

t.test('POST /views validation: 400 naming the field and the value', async (t) => {
  const { app, internal } = await startTestApi(t);
  const batch = (payload: object) => internal.inject({ method: 'POST', url: '/views', payload });
  const cases: [object, string][] = [
    [{}, 'body.streams is required'],
    [{ streams: [] }, 'body.streams must be object; got []'],
    [{ streams: { golive: 'session-0001' } }, 'body.streams.golive must be array; got "session-0001"'],
    [{ streams: { golive: ['short'] } }, 'body.streams.golive.0 must match pattern "^[A-Za-z0-9_-]{8,64}$"; got "short"'],
    [{ streams: { golive: ['session-0001', 'has space 1'] } }, 'body.streams.golive.1 must match pattern "^[A-Za-z0-9_-]{8,64}$"; got "has space 1"'],
    [{ streams: { 'bad name': ['session-0001'] } }, 'body.streams has a key that must match pattern "^[A-Za-z0-9_-]{1,128}$"; got "bad name"'],
  ];
  for (const [body, message] of cases) {
    const answer = await batch(body);
    t.equal(answer.statusCode, 400, JSON.stringify(body));
    t.same(answer.json().error, { code: 'LIVE_ERR_VALIDATION', message });
  }

  const streams = Object.fromEntries(Array.from({ length: 1001 }, (_, n) => [`s${n}`, [session(n)]]));
  const tooManyStreams = await batch({ streams });
  t.equal(tooManyStreams.statusCode, 400);
  t.match(tooManyStreams.json().error.message, /^body\.streams must NOT have more than 1000 properties/);
  delete streams.s1000;
  t.equal((await batch({ streams })).statusCode, 204, '1000 streams are fine');

  const sessions = (from: number, count: number) => Array.from({ length: count }, (_, n) => session(from + n));
  const tooManySessions = await batch({ streams: { a: sessions(0, 5000), b: sessions(5000, 5001) } });
  t.equal(tooManySessions.statusCode, 400);
  t.same(tooManySessions.json().error, {
    code: 'LIVE_ERR_VALIDATION',
    message: 'body.streams must hold at most 10000 session ids in all; send a larger batch in parts; got 10001',
  });
  t.equal((await batch({ streams: { a: sessions(0, 5000), b: sessions(5000, 5000) } })).statusCode, 204, '10000 sessions are fine');
  t.equal((await internal.inject({ method: 'GET', url: '/streams/b/views' })).json().liveViewers, 5000);
  t.equal((await internal.inject({ method: 'GET', url: '/streams/bad%20name/views' })).statusCode, 400);
});
